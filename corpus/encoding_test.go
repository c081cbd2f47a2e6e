package corpus

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const (
	englishText = " date 2024-03-15 County holds party meeting\n\nThe county held a meeting on party building. Officials spoke.\n\nCafé owners attended too.\n"
	chineseText = "县委召开党建工作会议\n\n发布时间：2024年3月15日\n\n3月15日，县委召开党建工作会议，部署下一阶段工作。会议强调，要把学习教育引向深入。\n\n与会人员表示，将认真贯彻落实会议精神。\n"
)

func utf16Bytes(s string, bigEndian bool) []byte {
	var b []byte
	if bigEndian {
		b = append(b, 0xFE, 0xFF)
	} else {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

func encodeGBK(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding GBK: %v", err)
	}
	if utf8.Valid(b) {
		t.Fatal("GBK test input is valid UTF-8; the test would not exercise decoding")
	}
	return b
}

// TestEncodingsSameArticle checks that every way of saving the same article
// parses to the same Article, Hash included.
func TestEncodingsSameArticle(t *testing.T) {
	for _, base := range []string{englishText, chineseText} {
		want, err := Parse("a.txt", []byte(base))
		if err != nil {
			t.Fatalf("Parse(UTF-8): %v", err)
		}
		variants := []struct {
			name string
			data []byte
		}{
			{"BOM", append([]byte("\uFEFF"), base...)},
			{"CRLF", []byte(strings.ReplaceAll(base, "\n", "\r\n"))},
			{"CR", []byte(strings.ReplaceAll(base, "\n", "\r"))},
			{"BOM and CRLF", []byte("\uFEFF" + strings.ReplaceAll(base, "\n", "\r\n"))},
			{"trailing spaces", []byte(strings.ReplaceAll(base, "\n", " \t\n"))},
			{"blank lines around", []byte("\n \n" + base + "\n\n  \n")},
			{"UTF-16LE", utf16Bytes(base, false)},
			{"UTF-16BE", utf16Bytes(base, true)},
			{"decomposed (NFD)", []byte(strings.ReplaceAll(base, "é", "e\u0301"))},
		}
		if base == chineseText {
			variants = append(variants,
				struct {
					name string
					data []byte
				}{"GBK", encodeGBK(t, base)},
				struct {
					name string
					data []byte
				}{"GBK with CRLF", encodeGBK(t, strings.ReplaceAll(base, "\n", "\r\n"))},
			)
		}
		for _, v := range variants {
			t.Run(v.name, func(t *testing.T) {
				got, err := Parse("a.txt", v.data)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if got != want {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

func TestChineseIntact(t *testing.T) {
	for _, data := range [][]byte{[]byte(chineseText), encodeGBK(t, chineseText)} {
		a, err := Parse("zh.txt", data)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "县委召开党建工作会议" {
			t.Errorf("title = %q", a.Title)
		}
		if a.Date.String() != "2024-03-15" || a.Date.From != FromMetadata {
			t.Errorf("date = %v from %v", a.Date, a.Date.From)
		}
		wantBody := "3月15日，县委召开党建工作会议，部署下一阶段工作。会议强调，要把学习教育引向深入。\n\n与会人员表示，将认真贯彻落实会议精神。"
		if a.Body != wantBody {
			t.Errorf("body = %q", a.Body)
		}
		// Every Han character is a word; digits "3" and "15" are words; punctuation is not.
		if a.Words != 53 {
			t.Errorf("words = %d, want 53", a.Words)
		}
	}
}

func TestDifferentTextDifferentHash(t *testing.T) {
	a, err := Parse("a.txt", []byte(englishText))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("a.txt", []byte(strings.Replace(englishText, "spoke", "spoke up", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash == b.Hash {
		t.Error("different text, same hash")
	}
	if len(a.Hash) != 64 || a.ID != a.Hash[:12] {
		t.Errorf("hash %q, id %q", a.Hash, a.ID)
	}
}

func TestInvalidUTF8NotGBK(t *testing.T) {
	// Latin-1 bytes in English text must not be read as GBK.
	data := []byte("Caf\xe9 owners met on Monday. They r\xe9sum\xe9d the talks and agreed on a plan.")
	a, err := Parse("latin1.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(a.Body) || !strings.Contains(a.Body, "Caf\uFFFD owners") || !strings.Contains(a.Body, "r\uFFFDsum\uFFFDd") {
		t.Errorf("body = %q", a.Body)
	}
}

func TestBadFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(rng.IntN(256))
	}
	var highJunk []byte
	for i := 0; i < 4096; i++ {
		highJunk = append(highJunk, byte(0x80+rng.IntN(0x40)), byte(rng.IntN(0x20))|1)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"spaces and newlines", []byte("  \n\t\r\n \n"), ErrEmpty},
		{"NBSP and ideographic space", []byte("\u00a0\u3000\n\u2003"), ErrEmpty},
		{"BOM only", []byte("\uFEFF"), ErrEmpty},
		{"UTF-16 BOM and spaces", utf16Bytes("  \r\n ", false), ErrEmpty},
		{"random bytes", junk, ErrBinary},
		{"NUL in text", []byte("A normal looking line\x00 with a NUL byte."), ErrBinary},
		{"PNG header", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrBinary},
		{"control characters", highJunk, ErrBinary},
		{"UTF-16 with NUL", utf16Bytes("text\x00\x00\x00", false), ErrBinary},
		{"only boilerplate", []byte("Position: Home > News\n\nSource: Xinhua\n\nEditor: Liao Yi\n"), ErrNoText},
		{"only punctuation", []byte("— —\n…\n"), ErrNoText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("bad_file.txt", tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v (article %+v)", err, tt.want, a)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "bad_file.txt" {
				t.Errorf("err = %#v, want *FileError for bad_file.txt", err)
			}
			if !strings.HasPrefix(err.Error(), "bad_file.txt: ") {
				t.Errorf("message %q does not name the file", err)
			}
			if a != (Article{}) {
				t.Errorf("article = %+v, want zero", a)
			}
		})
	}
}

func TestSomeControlCharsAreText(t *testing.T) {
	// A form feed and a stray escape are not enough to make a file binary,
	// and they do not reach the body.
	a, err := Parse("f.txt", []byte("Headline here\f\n\nThe text has a stray \x1b escape and goes on for a while."))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(a.Body, "\f\x1b") || a.Body != "The text has a stray escape and goes on for a while." {
		t.Errorf("body = %q", a.Body)
	}
}

func TestNormalizeNewlines(t *testing.T) {
	tests := map[string]string{
		"a\r\nb":     "a\nb",
		"a\rb\r":     "a\nb\n",
		"a\r\r\nb":   "a\n\nb",
		"a\n\rb":     "a\n\nb",
		"no returns": "no returns",
	}
	for in, want := range tests {
		if got := string(normalizeNewlines([]byte(in))); got != want {
			t.Errorf("normalizeNewlines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeUTF16Surrogates(t *testing.T) {
	s := "emoji 😀 ok"
	if got := string(decodeUTF16(utf16Bytes(s, false)[2:], false)); got != s {
		t.Errorf("got %q", got)
	}
	// An unpaired high surrogate and an odd trailing byte become U+FFFD.
	if got := string(decodeUTF16([]byte{'a', 0, 0x00, 0xD8, 'b', 0, 'c'}, false)); got != "a\uFFFDb\uFFFD" {
		t.Errorf("got %q", got)
	}
}

// TestWordHelpers checks the eight-bytes-at-a-time helpers against plain
// byte loops.
func TestWordHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b [8]byte
		for i := range b {
			switch rng.IntN(4) {
			case 0:
				b[i] = ' '
			case 1:
				b[i] = byte(rng.IntN(256))
			default:
				b[i] = byte(0x20 + rng.IntN(0x60))
			}
		}
		x := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		printable := true
		var sp, an, digits, upper uint64
		for i, c := range b {
			printable = printable && c >= 0x20 && c <= 0x7E
			bit := uint64(0x80) << (8 * i)
			if c == ' ' {
				sp |= bit
			}
			if isASCIIAlnum(c) {
				an |= bit
			}
			if isDigit(c) {
				digits |= bit
			}
			if c >= 'A' && c <= 'Z' {
				upper |= bit
			}
		}
		if printable8(x) != printable {
			t.Fatalf("printable8(%q) = %v", b, !printable)
		}
		if !printable {
			continue
		}
		if spaces8(x) != sp || alnum8(x) != an || inRange8(x, '0', '9') != digits || inRange8(x, 'A', 'Z') != upper {
			t.Fatalf("masks wrong for %q", b)
		}
	}
}

func TestCountWords(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"one", 1},
		{"one two  three", 3},
		{"don't stop-gap (2017) U.S.", 4},
		{"— — …", 0},
		{"As he said — —", 3},
		{"中文abc 字", 4},
		{"县委召开会议。", 6},
		{"ひらがな カタカナ 한국어", 11},
		{"café naïve 4.5", 3},
		{"para one\n\npara two", 4},
	}
	for _, tt := range tests {
		if got := countWords(tt.in); got != tt.want {
			t.Errorf("countWords(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	// The fast path must agree with a rune-by-rune count on random text.
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "B", "7", " ", " ", "\n", ".", ",", "-", "中", "é", "—", "(", "x"}
	for range 5000 {
		var sb strings.Builder
		for range rng.IntN(60) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := sb.String()
		if got, want := countWords(s), slowCountWords(s); got != want {
			t.Fatalf("countWords(%q) = %d, slow count %d", s, got, want)
		}
	}
}

// slowCountWords is the reference definition of countWords.
func slowCountWords(s string) int {
	n := 0
	for _, field := range strings.Fields(s) {
		inWord := false
		for _, r := range field {
			switch {
			case isCJK(r):
				n++
				inWord = false
			case r < utf8.RuneSelf && isASCIIAlnum(byte(r)), r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsNumber(r)):
				if !inWord {
					n++
					inWord = true
				}
			}
		}
	}
	return n
}
