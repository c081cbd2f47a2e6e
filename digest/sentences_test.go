package digest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/digestbot/digestbot/internal/testenv"
)

func TestSplit(t *testing.T) {
	sp := testSplitter(t)
	cases := []struct {
		name string
		body string
		want []string // sentences, "kind|text" where kind is t, h, f or b
	}{
		{"licence number after No.", "The site is registered under licence No. 18000738-1 with the ministry. Registration is renewed every year in March.",
			[]string{"t|The site is registered under licence No. 18000738-1 with the ministry.", "t|Registration is renewed every year in March."}},
		{"footer with No. is boilerplate", "Copyright: Hejing County New ICP No. 18000738-1",
			[]string{"b|Copyright: Hejing County New ICP No. 18000738-1"}},
		{"quote ending with full stop inside", `He called for the "five identities." The second step is to carry out the activity.`,
			[]string{`t|He called for the "five identities."`, "t|The second step is to carry out the activity."}},
		{"curly quote ending", "The phrase came to stand for “loyalty to the centre.” Five years later it entered the report.",
			[]string{"t|The phrase came to stand for “loyalty to the centre.”", "t|Five years later it entered the report."}},
		{"closing quote put on the next sentence", `"We promote the class through practice and results. "Feng Hailong, deputy director, said the work goes on.`,
			[]string{`t|"We promote the class through practice and results. "`, "t|Feng Hailong, deputy director, said the work goes on."}},
		{"punctuation left alone", "We will break down the key issues that everyone is concerned about. .” The class then ended for the day.",
			[]string{"f|We will break down the key issues that everyone is concerned about. .”", "t|The class then ended for the day."}},
		{"CJK full stops", "漠河市是中国最北的城市。边防派出所的民警守护着北极村！这是真的吗？",
			[]string{"t|漠河市是中国最北的城市。", "t|边防派出所的民警守护着北极村！", "t|这是真的吗？"}},
		{"CJK then English", "他说：“我们会继续努力。”Then the meeting moved on to other business.",
			[]string{"t|他说：“我们会继续努力。”", "t|Then the meeting moved on to other business."}},
		{"heading without a full stop", "Well-organized and focused publicity activities\n\nThe meeting was held in Harbin on Friday.",
			[]string{"h|Well-organized and focused publicity activities", "t|The meeting was held in Harbin on Friday."}},
		{"hard-wrapped sentence re-joined", "The border police patrol the Arctic Village\n\nalong the Heilongjiang River every day.",
			[]string{"t|The border police patrol the Arctic Village along the Heilongjiang River every day."}},
		{"dotted initials mid-sentence", "He also fought in the Resisting U.S. Aggression and Aid Korea campaign in 1951. He was 22 then.",
			[]string{"t|He also fought in the Resisting U.S. Aggression and Aid Korea campaign in 1951.", "t|He was 22 then."}},
		{"dotted initials ending a sentence", "The delegation then flew on to the U.S. The visit lasted a week in all.",
			[]string{"t|The delegation then flew on to the U.S.", "t|The visit lasted a week in all."}},
		{"titles", `Dong Shuqi was moved. "Mr. Wu and his wife always support students in need." Dr. Li agreed with him on that.`,
			[]string{"t|Dong Shuqi was moved.", `t|"Mr. Wu and his wife always support students in need."`, "t|Dr. Li agreed with him on that."}},
		{"multi-sentence quotation", `"It is very important to do basic work well. Every member must play a role." The speech ended there.`,
			[]string{`f|"It is very important to do basic work well.`, `f|Every member must play a role."`, "t|The speech ended there."}},
		{"ellipsis trails off", "I asked him to rest assured... Then he was gone from the front. He waited... and waited.",
			[]string{"f|I asked him to rest assured...", "t|Then he was gone from the front.", "t|He waited... and waited."}},
		{"photo caption paragraph", "Party members visited the memorial hall in Hailin City. (File photo)",
			[]string{"b|Party members visited the memorial hall in Hailin City.", "b|(File photo)"}},
		{"credit lines", "Reporters: Yan Rui, He Shan\n\nEditor: Liao Yi\n\nProducer Xing Lai\n\nReporters learned that the system is now online.",
			[]string{"b|Reporters: Yan Rui, He Shan", "b|Editor: Liao Yi", "b|Producer Xing Lai", "t|Reporters learned that the system is now online."}},
		{"stray html and links", "htmlOn June 8, members studied at the archives. See www.example.com for the full programme of events.",
			[]string{"b|htmlOn June 8, members studied at the archives.", "b|See www.example.com for the full programme of events."}},
		{"bare attribution", "Lu Bo, director of the education centre, said.", []string{"f|Lu Bo, director of the education centre, said."}},
		{"lower-case start", "and then the county built more bases for education.", []string{"f|and then the county built more bases for education."}},
	}
	kinds := map[string]Kind{"t": KindText, "h": KindHeading, "f": KindFragment, "b": KindBoilerplate}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sp.Split(c.body)
			var gotS []string
			for _, s := range got {
				gotS = append(gotS, string(s.Kind.String()[0])+"|"+s.Text)
			}
			if strings.Join(gotS, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("Split(%q):\n got  %q\n want %q", c.body, gotS, c.want)
			}
			for i, w := range c.want {
				if i < len(got) && got[i].Kind != kinds[w[:1]] {
					t.Errorf("sentence %d kind %v", i, got[i].Kind)
				}
			}
		})
	}
}

// TestSplitSampleCorpus checks the splitter on the real articles: no
// sentence starts in lower case or with closing punctuation, and the two
// places Punkt splits wrongly ("Mr. Wu", "U.S. Aggression") are whole.
func TestSplitSampleCorpus(t *testing.T) {
	sp := testSplitter(t)
	all := ""
	for _, a := range testenv.SampleArticles(t) {
		for _, s := range sp.Split(a.Body) {
			all += s.Text + "\n"
			r := []rune(s.Text)[0]
			if unicode.IsLower(r) || strings.ContainsRune(".,;:)”’", r) {
				t.Errorf("%s: sentence starts badly: %q", a.Source, s.Text)
			}
		}
	}
	for _, want := range []string{"\"Mr. Wu and his wife always silently support college students in need.", "Resisting U.S. Aggression and Aid Korea ."} {
		if !strings.Contains(all, want) {
			t.Errorf("no sentence containing %q", want)
		}
	}
}

// FuzzSplit: any text splits without a panic into sentences that are
// pieces of the text, in order, covering every non-space character.
func FuzzSplit(f *testing.F) {
	for _, a := range testenv.SampleArticles(f) {
		// A paragraph each: whole articles make the fuzzer crawl.
		f.Add(a.Paragraphs()[len(a.Paragraphs())/2])
	}
	f.Add("No. 5. “A.” 。！？ U.S. Mr. . .” \n\n\n x")
	sp := testSplitter(f)
	f.Fuzz(func(t *testing.T, body string) {
		// Article bodies are valid UTF-8 (the corpus parser guarantees
		// it); Split makes other input valid first, which the coverage
		// check below would have to model byte by byte.
		if !utf8.ValidString(body) {
			sp.Split(body) // still: no panic
			return
		}
		sents := sp.Split(body)
		var got, want strings.Builder
		for _, s := range sents {
			if s.Text == "" || s.Text != strings.TrimSpace(s.Text) {
				t.Fatalf("bad sentence %q", s.Text)
			}
			if s.Kind > KindBoilerplate {
				t.Fatalf("bad kind %d", s.Kind)
			}
			got.WriteString(s.Text)
		}
		for _, r := range body {
			if !unicode.IsSpace(r) {
				want.WriteRune(r)
			}
		}
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if strip(got.String()) != want.String() {
			t.Fatalf("sentences do not cover the text:\n%q\n%q", strip(got.String()), want.String())
		}
	})
}

func TestIndexFold(t *testing.T) {
	for _, c := range []struct {
		s, sub string
		want   int
	}{
		{"Photographed By Xinhua", "photographed by", 0},
		{"see WWW.example.com", "www.", 4},
		{"xhtml and HTMLOn", "html", 1},
		{"nothing here", "html", -1},
		{"(File Photo)", "(file photo)", 0},
		{"版权所有 ICP备123", "icp备", 13},
		{"short", "longer than s", -1},
		{"aaaaAAAAb", "aab", 6},
		{"", "x", -1},
		{"x", "", 0},
	} {
		if got := indexFold(c.s, c.sub); got != c.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", c.s, c.sub, got, c.want)
		}
	}
}
