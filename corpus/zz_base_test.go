package corpus

import (
	"os"
	"testing"
)

func BenchmarkZZPhase(b *testing.B) {
	data, _ := os.ReadFile(os.Getenv("ZZF"))
	text, _ := decodeText(data)
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			decodeText(data)
		}
	})
	b.Run("hash", func(b *testing.B) {
		for b.Loop() {
			contentHash(text)
		}
	})
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			var backing [64]span
			splitParagraphs(text, backing[:0])
		}
	})
	b.Run("article", func(b *testing.B) {
		var backing [64]span
		d := splitParagraphs(text, backing[:0])
		ps := append([]span(nil), d.paras...)
		for b.Loop() {
			copy(d.paras, ps)
			d.article()
		}
	})
	b.Run("date", func(b *testing.B) {
		var backing [64]span
		d := splitParagraphs(text, backing[:0])
		var ps []string
		for i := range d.paras { ps = append(ps, d.para(i)) }
		for b.Loop() {
			bodyDate(ps)
		}
	})
	b.Run("words", func(b *testing.B) {
		s := string(text)
		for b.Loop() {
			countWords(s)
		}
	})
}
