package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStatsCommand(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "stats")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"articles   5\n", "sources    5 files\n", "dates      1 September 2021 to 8 August 2023\n", "undated    0\n",
		"2021-09 ████████████████████████████████████████ 1\n", "2021-10                                          0\n", "2023-08 █"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, dir, "stats", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s statsOutput
	must(t, json.Unmarshal([]byte(out), &s))
	if s.Articles != 5 || s.First != "2021-09-01" || s.Last != "2023-08-08" || len(s.Months) != 24 || s.Months[23].Articles != 1 {
		t.Errorf("stats --json: %+v", s)
	}
	if _, _, err := run(t, dir, "stats", "x"); err == nil {
		t.Error("stats x: no usage error")
	}
}
