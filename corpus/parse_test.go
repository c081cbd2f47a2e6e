package corpus

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// sampleFiles returns the sample articles, name to content.
func sampleFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("sample", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample files in corpus/sample (err %v)", err)
	}
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = data
	}
	return files
}

// goldenArticle is what a golden file records about a parsed sample.
type goldenArticle struct {
	Title          string `json:"title"`
	Date           string `json:"date"`
	Precision      string `json:"precision"`
	DateFrom       string `json:"date_from"`
	FirstParagraph string `json:"first_paragraph"`
	LastParagraph  string `json:"last_paragraph"`
	Words          int    `json:"words"`
	ID             string `json:"id"`
}

func toGolden(a Article) goldenArticle {
	ps := a.Paragraphs()
	return goldenArticle{
		Title:          a.Title,
		Date:           a.Date.String(),
		Precision:      a.Date.Precision.String(),
		DateFrom:       a.Date.From.String(),
		FirstParagraph: ps[0],
		LastParagraph:  ps[len(ps)-1],
		Words:          a.Words,
		ID:             a.ID,
	}
}

// TestGolden compares each sample's parse with testdata/golden/<name>.json.
// Regenerate with: go test ./corpus -run Golden -update
func TestGolden(t *testing.T) {
	for name, data := range sampleFiles(t) {
		t.Run(name, func(t *testing.T) {
			a, err := Parse(name, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(toGolden(a), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".txt")+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden file %s:\ngot:\n%s\nwant:\n%s", name, path, got, want)
			}
		})
	}
}

// TestSamples checks the samples' titles and dates directly and that no
// boilerplate survives.
func TestSamples(t *testing.T) {
	want := map[string]struct {
		title, date string
		prec        Precision
		from        DateSource
		first, last string // prefixes of the first and last paragraph
		paragraphs  int
	}{
		"000_3f43ee69d8cb5553.txt": {
			"Mohe City in the Arctic Village is known for its commitment to party building and political belief education.",
			"2023-07-03", PrecisionDay, FromHeader,
			"Mohe City in the Arctic Village is known for its commitment to party building and political belief education. The phrase",
			"Mohe City’s commitment to party building", 10,
		},
		"001_b281ecb0d3253aec.txt": {
			"Xu Qin emphasized at the mobilization meeting of the provincial party committee propaganda group to study and implement the spirit of the 20th National Congress of the Communist Party of China",
			"2022-11-05", PrecisionDay, FromHeader,
			"Well-organized and focused publicity activities",
			"The meeting is held in the form of a video conference.", 9,
		},
		"002_517fc5acc2ab6940.txt": {
			"He Jing: Take multiple measures to improve the quality and efficiency of party history learning and",
			"2023-08-08", PrecisionDay, FromMetadata,
			"Since the launch of party history learning and education, Hejing County",
			"Red resources promote the implementation of party history study and education. Hejing County", 4,
		},
		"003_e84a5fb799e18aa7.txt": {
			"The general secretary emphasized this work five times in this year’s local inspection.",
			"2022-07-13", PrecisionDay, FromBody,
			"The general secretary emphasized this work five times in this year’s local inspection.",
			`"It is very important to do a good job in basic work at the grass-roots level.`, 13,
		},
		"004_cbabd072070e4c09.txt": {
			"We fought for more than 30 hours in a fierce battle.",
			"2021-09", PrecisionMonth, FromBody,
			"We fought for more than 30 hours in a fierce battle. Before he was shot",
			`"We promote the party class through institutionalization`, 14,
		},
	}
	boilerplate := []string{
		"Editor", "Producer", "Chief Producer", "Proofread", "Visual sense", "Reporters:",
		"Address:", "Copyright", "Position:", "Description:", "Source:Author", "html", "△", " ",
	}
	files := sampleFiles(t)
	if len(files) != len(want) {
		t.Errorf("%d sample files, want %d", len(files), len(want))
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("unexpected sample %s", name)
			}
			a, err := Parse(name, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if a.Title != w.title {
				t.Errorf("title = %q\nwant    %q", a.Title, w.title)
			}
			if a.Date.String() != w.date || a.Date.Precision != w.prec || a.Date.From != w.from {
				t.Errorf("date = %s %v from %v, want %s %v from %v", a.Date, a.Date.Precision, a.Date.From, w.date, w.prec, w.from)
			}
			if a.Source != name {
				t.Errorf("source = %q", a.Source)
			}
			ps := a.Paragraphs()
			if len(ps) != w.paragraphs {
				t.Errorf("%d paragraphs, want %d", len(ps), w.paragraphs)
			}
			if !strings.HasPrefix(ps[0], w.first) {
				t.Errorf("first paragraph = %.120q…", ps[0])
			}
			if !strings.HasPrefix(ps[len(ps)-1], w.last) {
				t.Errorf("last paragraph = %.120q…", ps[len(ps)-1])
			}
			for i, p := range ps {
				for _, b := range boilerplate {
					if strings.HasPrefix(p, b) {
						t.Errorf("paragraph %d starts with %q: %.80q", i, b, p)
					}
				}
				if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, "  ") || strings.ContainsAny(p, "\u00a0\t\n") {
					t.Errorf("paragraph %d not normalised: %q", i, p)
				}
				if strings.Contains(p, "ICP No.") || strings.Contains(p, "Proofread Cheng Yu") || strings.Contains(p, "Liao Yi") {
					t.Errorf("paragraph %d has credits or footer: %.80q", i, p)
				}
			}
			if !strings.HasPrefix(ps[0], a.Title) { // a headline: not repeated in the body
				for i, p := range ps {
					if p == a.Title {
						t.Errorf("headline repeated as paragraph %d", i)
					}
				}
			}
			if a.Words < 400 || a.Words != countWords(a.Body) {
				t.Errorf("words = %d", a.Words)
			}
		})
	}
}

// TestSampleDetails pins the individual cleaning steps the samples need.
func TestSampleDetails(t *testing.T) {
	files := sampleFiles(t)
	parse := func(name string) Article {
		a, err := Parse(name, files[name])
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := parse("001_b281ecb0d3253aec.txt")
	if ps := a.Paragraphs(); ps[1] != "Promote the implementation of the spirit of the 20th National Congress of the Communist Party of China and bring benefits to the people" ||
		ps[2] != "Huang Jiansheng attended Wang Zhijun’s chair" {
		t.Errorf("sub-headings lost: %q", ps[:3])
	}
	if !strings.HasSuffix(a.Body, "(Source: Heilongjiang Daily reporter Cao Zhongyi, Li Guoyu, photography Shao Guoliang)") {
		t.Error("in-paragraph source note should stay")
	}
	a = parse("002_517fc5acc2ab6940.txt")
	if !strings.Contains(a.Body, "into the mind and heart. The first is to carry out") {
		t.Error("NBSP between sentences not collapsed to one space")
	}
	a = parse("003_e84a5fb799e18aa7.txt")
	if ps := a.Paragraphs(); ps[3] != "On July 13th, 2022, General Secretary of the Supreme Leader visited Guyuan Lane Community in Tianshan District, Urumqi, Xinjiang." {
		t.Errorf("caption marker not removed: %q", ps[3])
	}
	a = parse("004_cbabd072070e4c09.txt")
	ps := a.Paragraphs()
	if !strings.HasPrefix(ps[7], "On June 8, Party members") || !strings.HasPrefix(ps[12], "For more than 2004 years") {
		t.Errorf("html debris not removed: %.30q / %.30q", ps[7], ps[12])
	}
	if !strings.HasPrefix(ps[10], "Reporters learned that in recent years") {
		t.Errorf("mid-article paragraph starting with Reporters removed: %.40q", ps[10])
	}
}

func TestTitles(t *testing.T) {
	long := strings.Repeat("word ", 60) // 300 characters, no full stop
	tests := []struct {
		name, text, title, firstPara string
	}{
		{"headline line", "A headline without a full stop\n\nThe body. It goes on.", "A headline without a full stop", "The body. It goes on."},
		{"sentence stays in body", "The first sentence. The second one.\n\nMore.", "The first sentence.", "The first sentence. The second one."},
		{"header headline", " date 2024-01-02 A headline here\n\nBody text here.", "A headline here", "Body text here."},
		{"header paragraph", " date 2024-01-02 First sentence here. Second sentence here.\n\nBody.", "First sentence here.", "First sentence here. Second sentence here."},
		{"header quote end is a sentence", " date 2024-01-02 He said \"we will win\"\n\nBody.", "He said \"we will win\"", "He said \"we will win\""},
		{"abbreviations", "Mr. Wu met Dr. Li in the U.S. on Jan. 5 today. Then he left.", "Mr. Wu met Dr. Li in the U.S. on Jan. 5 today.", ""},
		{"ellipsis", "I asked him to rest assured... He did not.", "I asked him to rest assured...", ""},
		{"question and quote", "\"Why?\" she asked. Nobody knew.", "\"Why?\" she asked.", ""},
		{"Chinese sentence", "县委召开会议。会议强调学习。\n\n第二段。", "县委召开会议。", "县委召开会议。会议强调学习。"},
		{"lone headline is also body", "Only a headline", "Only a headline", "Only a headline"},
		{"too long for a headline", long + "\n\nBody.", strings.TrimSpace(strings.Repeat("word ", 40)) + "…", strings.TrimSpace(long)},
		{"long sentence cut at a word", strings.Repeat("abcdefghi ", 30) + "end.", strings.TrimSpace(strings.Repeat("abcdefghi ", 20)) + "…", ""},
		{"long CJK sentence cut", strings.Repeat("汉", 300) + "。", strings.Repeat("汉", 199) + "…", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("t.txt", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.title {
				t.Errorf("title = %q\nwant    %q", a.Title, tt.title)
			}
			if n := utf8.RuneCountInString(a.Title); n > maxHeadlineRunes {
				t.Errorf("title has %d characters", n)
			}
			if tt.firstPara != "" && a.Paragraphs()[0] != tt.firstPara {
				t.Errorf("first paragraph = %q, want %q", a.Paragraphs()[0], tt.firstPara)
			}
		})
	}
}

func TestBoilerplate(t *testing.T) {
	tests := []struct {
		name, text, body string
	}{
		{"paragraph per line", "Headline\nFirst line.\nSecond line.", "First line.\n\nSecond line."},
		{"whitespace collapsed", "Headline\n\n  A\u00a0\u00a0b\t\tc  d\u3000e  \n\n\n\nNext.", "A b c d e\n\nNext."},
		{"trailing credits", "Headline\nText.\n\nEditor: Liao Yi\n\nReporters: Yan Rui, He Shan\nProofread Cheng Yu\n（责任编辑：张三）\n编辑 李四", "Text."},
		{"longer credit labels", "Headline\nText.\nPhotographers: A, B\nEditor in charge | C", "Text."},
		{"label glued to a word kept", "Headline\nText.\nReporter's notebook", "Text.\n\nReporter's notebook"},
		{"credit-like sentence kept at end", "Headline\nText.\nEditor Wang said the plan works.", "Text.\n\nEditor Wang said the plan works."},
		{"credit mid-article kept", "Headline\n" + strings.Repeat("Text.\n", 10) + "Editor: Wang\nMore text follows here.", strings.Repeat("Text.\n\n", 10) + "Editor: Wang\n\nMore text follows here."},
		{"byline in the head dropped", "Headline\nEditor: Wang\nText.", "Text."},
		{"long reporter paragraph kept", "Headline\nText.\nReporters learned that in recent years, the department has started to work on the cloud and more.", "Text.\n\nReporters learned that in recent years, the department has started to work on the cloud and more."},
		{"footer anywhere", "Headline\nText.\nCopyright © 2024 Site. Address: Main Road. ICP No. 123\nMore.", "Text.\n\nMore."},
		{"trailing footer", "Headline\nText.\nAll rights reserved.\nAddress: 1 Main Road", "Text."},
		{"html debris", "Headline\nhtmlOn June 8, x.\nhtml For more.\nhtml is a markup language.\nhtml5 rocks.\nhtml", "On June 8, x.\n\nFor more.\n\nhtml is a markup language.\n\nhtml5 rocks."},
		{"caption markers", "Headline\n△ Caption one.\n▲Caption two.", "Caption one.\n\nCaption two."},
		{"breadcrumb and description", "当前位置：首页 > 新闻\n标题在这里\n来源：新华社\n描述：重复的开头\n正文第一段。", "正文第一段。"},
		{"home breadcrumb", "Home > News > Local\nHeadline\nBody.", "Body."},
		{"control and zero-width characters", "Headline\nA\u200bB\x01C \ufeffD", "ABC D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("t.txt", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if a.Body != tt.body {
				t.Errorf("body = %q\nwant   %q", a.Body, tt.body)
			}
		})
	}
}

func TestFileError(t *testing.T) {
	err := error(&FileError{File: "x.txt", Err: ErrBinary})
	if err.Error() != "x.txt: binary content, not text" {
		t.Errorf("Error() = %q", err)
	}
	if !strings.Contains(ErrNoText.Error(), "no article text after removing boilerplate") {
		t.Errorf("ErrNoText = %q", ErrNoText)
	}
}

// BenchmarkParse parses each sample file; see ns/op and allocs/op.
func BenchmarkParse(b *testing.B) {
	files := sampleFiles(b)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data := files[name]
		b.Run(name[:3], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
