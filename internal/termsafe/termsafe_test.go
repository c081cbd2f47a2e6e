package termsafe

import "testing"

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"notes/a b.txt", "notes/a b.txt"},
		{"新闻/报道.md", "新闻/报道.md"},
		{"a\nb.txt", `"a\nb.txt"`},
		{"\x1b[31mred.txt", `"\x1b[31mred.txt"`},
		{"evil\u202etxt.md", `"evil\u202etxt.md"`},
		{"bad\xffbyte", `"bad\xffbyte"`},
		{"tab\there", `"tab\there"`},
		{"", ""},
	} {
		if got := Name(c.in); got != c.want {
			t.Errorf("Name(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Border police", "Border police"},
		{"line\nbreak", `line\nbreak`},
		{"\x1b[2J wiped", `\x1b[2J wiped`},
		{"bad\xffbyte \uFFFD", `bad\xffbyte ` + "\uFFFD"},
		{"rtl\u202eoverride", `rtl\u202eoverride`},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestLines(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"one\ntwo\tcols\n", "one\ntwo\tcols\n"},
		{"red \x1b[31mtext\nnext\r line", `red \x1b[31mtext` + "\n" + `next\r line`},
	} {
		if got := Lines(c.in); got != c.want {
			t.Errorf("Lines(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
