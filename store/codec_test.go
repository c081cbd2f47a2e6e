package store

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/digestbot/digestbot/corpus"
)

func sampleArticles(tb testing.TB) []corpus.Article {
	tb.Helper()
	paths, _ := filepath.Glob("../corpus/sample/*.txt")
	var out []corpus.Article
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		a, err := corpus.Parse(filepath.Base(p), data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		tb.Fatal("no sample articles")
	}
	return out
}

func TestCodecRoundTrip(t *testing.T) {
	for _, a := range sampleArticles(t) {
		got, err := decodeArticle(encodeArticle(nil, a))
		if err != nil {
			t.Fatal(err)
		}
		if got != a {
			t.Fatalf("round trip of %s changed it", a.Source)
		}
		head, err := decodeArticleBody(encodeArticle(nil, a), false)
		if err != nil || head.Body != "" || head.Title != a.Title || head.Words != a.Words {
			t.Fatalf("header decode of %s: %+v, %v", a.Source, head, err)
		}
		// Every truncation is an error, never a panic or a silent success.
		buf := encodeArticle(nil, a)
		for n := 0; n < len(buf); n += 7 {
			if _, err := decodeArticle(buf[:n]); err == nil {
				t.Fatalf("decoded a value truncated to %d of %d bytes", n, len(buf))
			}
		}
	}
}

// The benchmarks behind the choice of encoding recorded in codec.go.
func BenchmarkCodec(b *testing.B) {
	arts := sampleArticles(b)
	b.Run("binary/encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = encodeArticle(nil, arts[i%len(arts)])
		}
	})
	b.Run("binary/decode", func(b *testing.B) {
		bufs := make([][]byte, len(arts))
		for i, a := range arts {
			bufs[i] = encodeArticle(nil, a)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeArticle(bufs[i%len(bufs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = json.Marshal(arts[i%len(arts)])
		}
	})
	b.Run("json/decode", func(b *testing.B) {
		bufs := make([][]byte, len(arts))
		for i, a := range arts {
			bufs[i], _ = json.Marshal(a)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var a corpus.Article
			if err := json.Unmarshal(bufs[i%len(bufs)], &a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gob/encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var buf bytes.Buffer
			_ = gob.NewEncoder(&buf).Encode(arts[i%len(arts)])
		}
	})
	b.Run("gob/decode", func(b *testing.B) {
		bufs := make([][]byte, len(arts))
		for i, a := range arts {
			var buf bytes.Buffer
			_ = gob.NewEncoder(&buf).Encode(a)
			bufs[i] = buf.Bytes()
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var a corpus.Article
			if err := gob.NewDecoder(bytes.NewReader(bufs[i%len(bufs)])).Decode(&a); err != nil {
				b.Fatal(err)
			}
		}
	})
	var bin, js int
	for _, a := range arts {
		bin += len(encodeArticle(nil, a))
		j, _ := json.Marshal(a)
		js += len(j)
	}
	b.Logf("sizes: binary %d bytes, JSON %d bytes for %d articles", bin, js, len(arts))
}
