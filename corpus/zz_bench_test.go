package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkZZ(b *testing.B) {
	files, _ := filepath.Glob("sample/*.txt")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Run(filepath.Base(f)[:3], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse("x", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
