package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

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
	out[0].URL = "https://news.example.com/2023/07/story?id=7"
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
		if err != nil || head.Body != "" || head.Title != a.Title || head.Words != a.Words || head.URL != a.URL {
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

// Bodies are stored compressed when that is smaller, as they are when not,
// and a damaged compressed body is an error.
func TestCodecBodies(t *testing.T) {
	long := sampleArticles(t)[0]
	short := long
	short.Body = "Too short to compress."
	random := long
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 4000)
	for i := range noise {
		noise[i] = byte(' ' + rng.IntN(95))
	}
	random.Body = string(noise)
	for _, tc := range []struct {
		name string
		a    corpus.Article
		enc  byte
	}{
		{"news text", long, bodyZstd},
		{"short", short, bodyPlain},
		{"incompressible", random, bodyPlain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := encodeArticle(nil, tc.a)
			got, err := decodeArticle(buf)
			if err != nil || got != tc.a {
				t.Fatalf("round trip: %v", err)
			}
			head, _ := decodeArticleBody(buf, false)
			// The body is last: its encoding byte is right after the header.
			headLen := len(encodeArticle(nil, corpus.Article{ID: head.ID, Title: head.Title, Source: head.Source,
				Hash: head.Hash, Date: head.Date, TitleFrom: head.TitleFrom, Words: head.Words, URL: head.URL}))
			if enc := buf[headLen-2]; enc != tc.enc {
				t.Fatalf("body encoding %d, want %d", enc, tc.enc)
			}
			if tc.enc == bodyZstd {
				if len(buf) >= len(tc.a.Body) {
					t.Fatalf("compressed value is %d bytes for a %d-byte body", len(buf), len(tc.a.Body))
				}
				damaged := bytes.Clone(buf)
				damaged[len(damaged)-10] ^= 0xff
				if _, err := decodeArticle(damaged); err == nil {
					t.Fatal("decoded a damaged compressed body")
				}
			}
		})
	}
}

// encodeArticleV1 is the codec-1 encoder of earlier builds (no URL), kept
// to check that their values still decode.
func encodeArticleV1(a corpus.Article) []byte {
	dst := []byte{articleCodecV1}
	dst = appendString(dst, a.ID)
	dst = appendString(dst, a.Title)
	dst = appendString(dst, a.Source)
	dst = appendString(dst, a.Hash)
	dst = binary.AppendUvarint(dst, uint64(a.Date.Year))
	dst = append(dst, byte(a.Date.Month), byte(a.Date.Day), byte(a.Date.Precision), byte(a.Date.From))
	dst = binary.AppendUvarint(dst, uint64(a.Words))
	return appendString(dst, a.Body)
}

func TestCodecReadsVersion1(t *testing.T) {
	for _, a := range sampleArticles(t) {
		a.URL, a.TitleFrom = "", corpus.TitleUnknown
		buf := encodeArticleV1(a)
		got, err := decodeArticle(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got != a {
			t.Fatalf("codec 1 value of %s decoded as %+v", a.Source, got)
		}
		head, err := decodeArticleBody(buf, false)
		if err != nil || head.Body != "" || head.Title != a.Title {
			t.Fatalf("header decode of codec 1 %s: %+v, %v", a.Source, head, err)
		}
		for n := 0; n < len(buf); n += 7 {
			if _, err := decodeArticle(buf[:n]); err == nil {
				t.Fatalf("decoded a codec 1 value truncated to %d of %d bytes", n, len(buf))
			}
		}
	}
	if _, err := decodeArticle([]byte{articleCodecV3 + 1, 0}); err == nil {
		t.Fatal("decoded an unknown codec version")
	}
}

// A schema-2 database holds codec-1 articles. Opening it upgrades the
// schema without rewriting them: they read back with no URL, and articles
// stored afterwards keep theirs.
func TestMigrateFromVersion2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	arts := sampleArticles(t)
	old := arts[1]
	old.TitleFrom = corpus.TitleUnknown
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketArticles).Put([]byte(old.ID), encodeArticleV1(old)); err != nil {
			return err
		}
		rec := fileRecord{RawHash: "raw", Size: 10, ModTime: 99, ArticleID: old.ID}
		if err := tx.Bucket(bucketFiles).Put([]byte("/old.txt"), encodeFile(rec)); err != nil {
			return err
		}
		return setSchema(tx, 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Asked for reading only, Open opens it for writing, to migrate it.
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open schema 2: %v", err)
	}
	defer db.Close()
	if db.ReadOnly() {
		t.Fatal("a database to migrate was opened read-only")
	}
	got, err := db.Article(ctx, old.ID)
	if err != nil || got != old {
		t.Fatalf("codec 1 article after migration: %+v, %v", got, err)
	}
	// The file is read again by the next ingest: its raw hash and time
	// are forgotten, its size and article kept.
	info, err := db.Files(ctx, []string{"/old.txt"})
	if f := info["/old.txt"]; err != nil || f.RawHash != "" || !f.ModTime.IsZero() || f.Size != 10 || f.Article.ID != old.ID {
		t.Fatalf("file record after migration: %+v, %v", f, err)
	}
	withURL := arts[0]
	if _, err := db.Put(ctx, []File{{Path: "/new", RawHash: "r", Size: 1, Article: withURL}}); err != nil {
		t.Fatal(err)
	}
	got, err = db.Article(ctx, withURL.ID)
	if err != nil || got.URL != withURL.URL {
		t.Fatalf("URL after put: %q, %v", got.URL, err)
	}
	var version uint32
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		version = binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	if version != SchemaVersion {
		t.Fatalf("schema after open = %d, want %d", version, SchemaVersion)
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

// FuzzDecodeArticle: any bytes decode to an article or an error, never a
// panic, and what decodes encodes back to a value that decodes the same.
func FuzzDecodeArticle(f *testing.F) {
	for _, a := range sampleArticles(f) {
		f.Add(encodeArticle(nil, a))
		f.Add(encodeArticleV1(a))
	}
	f.Add([]byte{articleCodecV3})
	f.Fuzz(func(t *testing.T, buf []byte) {
		a, err := decodeArticle(buf)
		head, herr := decodeArticleBody(buf, false)
		if err != nil {
			return
		}
		if herr != nil || head.ID != a.ID || head.Title != a.Title || head.URL != a.URL {
			t.Fatalf("header decode differs: %+v, %v", head, herr)
		}
		again, err := decodeArticle(encodeArticle(nil, a))
		if err != nil || again != a {
			t.Fatalf("re-encoded article decodes as %+v, %v", again, err)
		}
	})
}
