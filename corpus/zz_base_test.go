package corpus

import (
	"crypto/sha256"
	"os"
	"testing"
)

func BenchmarkZZBaseSHA(b *testing.B) {
	data, _ := os.ReadFile("sample/004_cbabd072070e4c09.txt")
	for b.Loop() {
		sha256.Sum256(data)
	}
}
func BenchmarkZZBaseCount(b *testing.B) {
	data, _ := os.ReadFile("sample/004_cbabd072070e4c09.txt")
	for b.Loop() {
		countControl(data)
	}
}
func BenchmarkZZBaseWords(b *testing.B) {
	data, _ := os.ReadFile("sample/004_cbabd072070e4c09.txt")
	s := string(data)
	for b.Loop() {
		countWords(s)
	}
}
