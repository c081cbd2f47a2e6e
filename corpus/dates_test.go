package corpus

import (
	"strings"
	"testing"
)

// body is article text without any date, long enough to be a body.
const body = "The county held a meeting on party building. Officials spoke about the work ahead.\n\nThe second paragraph adds more detail about the plans."

func TestParseDates(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		want  string // Date.String()
		prec  Precision
		from  DateSource
		title string // checked when not empty
	}{
		// Header line.
		{"header ISO", " date 2024-03-15 County holds party meeting\n\n" + body, "2024-03-15", PrecisionDay, FromHeader, "County holds party meeting"},
		{"header without leading space", "date 2024-03-15 County holds party meeting\n\n" + body, "2024-03-15", PrecisionDay, FromHeader, "County holds party meeting"},
		{"header RFC 3339", " date 2024-03-15T23:30:00-05:00 County holds party meeting\n\n" + body, "2024-03-15", PrecisionDay, FromHeader, "County holds party meeting"},
		{"header alone on its line", " date 2024-03-15\n\nCounty holds party meeting\n\n" + body, "2024-03-15", PrecisionDay, FromHeader, "County holds party meeting"},
		{"header impossible day", " date 2023-02-30 County holds party meeting\n\n" + body, "", PrecisionUnknown, FromNone, "County holds party meeting"},
		{"header impossible month", " date 2023-13-01 County holds party meeting\n\n" + body, "", PrecisionUnknown, FromNone, "County holds party meeting"},

		// Metadata lines.
		{"Date:", "County holds party meeting\n\nDate: 2024-06-01\n\n" + body, "2024-06-01", PrecisionDay, FromMetadata, "County holds party meeting"},
		{"Time: with clock", "County holds party meeting\n\nTime: 2024/06/01 10:30\n\n" + body, "2024-06-01", PrecisionDay, FromMetadata, ""},
		{"Published: month name", "County holds party meeting\nPublished: March 15, 2024\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"date: day first", "date: 15 March 2024\nCounty holds party meeting\n" + body, "2024-03-15", PrecisionDay, FromMetadata, "County holds party meeting"},
		{"Chinese date alone", "2024年3月15日\n\n县委召开党建工作会议\n\n" + body, "2024-03-15", PrecisionDay, FromMetadata, "县委召开党建工作会议"},
		{"发布时间", "县委召开党建工作会议\n发布时间：2024年3月15日 10:30\n" + body, "2024-03-15", PrecisionDay, FromMetadata, "县委召开党建工作会议"},
		{"日期", "日期：2024-03-15\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"RFC 3339 Z", "Date: 2024-03-15T10:00:00Z\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"RFC 3339 offset not converted", "Date: 2024-03-15T23:00:00+08:00\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"RFC 3339 alone", "2024-03-15T10:00:00+08:00\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"slashes alone", "2024/06/01\n" + body, "2024-06-01", PrecisionDay, FromMetadata, ""},
		{"dots alone", "2024.06.01\n" + body, "2024-06-01", PrecisionDay, FromMetadata, ""},
		{"month year alone", "March 2024\n" + body, "2024-03", PrecisionMonth, FromMetadata, ""},
		{"abbreviated month", "Mar. 15, 2024\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"ordinal day first", "15th March 2024\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"Chinese month", "2024年3月\n" + body, "2024-03", PrecisionMonth, FromMetadata, ""},
		{"weekday and time", "Friday, March 15, 2024 10:30\n" + body, "2024-03-15", PrecisionDay, FromMetadata, ""},
		{"web page metadata", "Position: Home > News\nCounty holds party meeting\nSource:Author:小编Click: Time:2023-08-08\n" + body, "2023-08-08", PrecisionDay, FromMetadata, "County holds party meeting"},
		{"byline with fields", "By Zhang Yi | China Daily | Updated: 2024-03-15 10:30\nCounty holds party meeting\n" + body, "2024-03-15", PrecisionDay, FromMetadata, "County holds party meeting"},
		{"metadata impossible day", "Date: 2023-02-30\n" + body, "", PrecisionUnknown, FromNone, ""},
		{"metadata impossible month", "Date: 2023-13-01\n" + body, "", PrecisionUnknown, FromNone, ""},
		{"impossible metadata falls back to body", "Date: 2023-02-30\n" + body + "\n\nIn 2017, it began.", "2017", PrecisionYear, FromBody, ""},
		{"impossible metadata then a valid one", "Date: 2023-02-30\nUpdated: 2023-03-02\n" + body, "2023-03-02", PrecisionDay, FromMetadata, ""},

		// Body dates.
		{"body day", body + "\n\nOn July 13th, 2022, the secretary visited.", "2022-07-13", PrecisionDay, FromBody, ""},
		{"body month", body + "\n\nIn September 2021, he told his story.", "2021-09", PrecisionMonth, FromBody, ""},
		{"body year", body + "\n\nIn 2017, the committee proposed it.", "2017", PrecisionYear, FromBody, ""},
		{"body year in parentheses", body + "\n\nThe plan (2017) was adopted.", "2017", PrecisionYear, FromBody, ""},
		{"body Chinese", "县委召开党建工作会议。\n\n2024年3月15日，县委召开会议。", "2024-03-15", PrecisionDay, FromBody, ""},
		{"body ISO", body + "\n\nThe rules took effect on 2024-01-05 nationwide.", "2024-01-05", PrecisionDay, FromBody, ""},
		{"no year is never guessed", body + "\n\nOn June 8, party members studied.", "", PrecisionUnknown, FromNone, ""},
		{"day without year", body + "\n\nFrom July 12th to 15th, he came here.", "", PrecisionUnknown, FromNone, ""},
		{"year count is not a year", body + "\n\nFor more than 2004 years, they worked.", "", PrecisionUnknown, FromNone, ""},
		{"decimal is not a year", body + "\n\nThere were 4.936 million organisations, 20th in rank.", "", PrecisionUnknown, FromNone, ""},
		{"bare number is not a year", body + "\n\nThey built 2017 houses.", "", PrecisionUnknown, FromNone, ""},
		{"year out of range", body + "\n\nIn 1850, the town was founded.", "", PrecisionUnknown, FromNone, ""},
		{"lower-case month is a verb", body + "\n\nWe may 2021 have seen it.", "", PrecisionUnknown, FromNone, ""},
		{"impossible body date skipped", body + "\n\nOn 2023-02-30 nothing happened. In 2019, something did.", "2019", PrecisionYear, FromBody, ""},
		{"most precise wins", body + "\n\nIn 2017, it began. In September 2021, it grew. On July 13th, 2022, it ended.", "2022-07-13", PrecisionDay, FromBody, ""},
		{"month beats year", body + "\n\nIn 2017, it began. In September 2021, it grew.", "2021-09", PrecisionMonth, FromBody, ""},
		{"earliest of equals", body + "\n\nOn July 13, 2022, one. On August 1, 2022, two.", "2022-07-13", PrecisionDay, FromBody, ""},
		{"only the first paragraphs", strings.Repeat("A paragraph without dates.\n\n", 9) + "On July 13, 2022, late.", "", PrecisionUnknown, FromNone, ""},
		{"no date anywhere", body, "", PrecisionUnknown, FromNone, ""},

		// Precedence.
		{"header beats metadata and body", " date 2024-03-15 Headline here\nDate: 2023-01-02\n" + body + "\n\nOn July 13, 2022, x.", "2024-03-15", PrecisionDay, FromHeader, ""},
		{"metadata beats body", "Headline here\nDate: 2023-01-02\n" + body + "\n\nOn July 13, 2022, x.", "2023-01-02", PrecisionDay, FromMetadata, ""},
		{"month metadata beats day in body", "Headline here\nDate: March 2023\n" + body + "\n\nOn July 13, 2022, x.", "2023-03", PrecisionMonth, FromMetadata, ""},
		{"invalid header, metadata next", " date 2023-02-30 Headline here\nDate: 2023-01-02\n" + body, "2023-01-02", PrecisionDay, FromMetadata, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("t.txt", []byte(tt.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			d := a.Date
			if d.String() != tt.want || d.Precision != tt.prec || d.From != tt.from {
				t.Errorf("date = %q %v from %v, want %q %v from %v", d, d.Precision, d.From, tt.want, tt.prec, tt.from)
			}
			if tt.title != "" && a.Title != tt.title {
				t.Errorf("title = %q, want %q", a.Title, tt.title)
			}
			for _, p := range a.Paragraphs() {
				if strings.HasPrefix(p, "Date:") || strings.HasPrefix(p, "Time:") || strings.HasPrefix(p, "发布时间") ||
					strings.HasPrefix(p, "Published:") || strings.HasPrefix(p, "date") || strings.HasPrefix(p, "日期") {
					t.Errorf("metadata line left in body: %q", p)
				}
			}
		})
	}
}

func TestScanDate(t *testing.T) {
	tests := []struct {
		in      string
		lenient bool
		want    rawDate
		n       int // bytes consumed; 0 means no date
	}{
		{"2024-06-01", false, rawDate{2024, 6, 1, PrecisionDay}, 10},
		{"2024/6/1 10:30", false, rawDate{2024, 6, 1, PrecisionDay}, 8},
		{"2024.06.01.", false, rawDate{2024, 6, 1, PrecisionDay}, 10},
		{"2024-03-15T10:00:00Z", false, rawDate{2024, 3, 15, PrecisionDay}, 10},
		{"2023-02-30", false, rawDate{2023, 2, 30, PrecisionDay}, 10}, // shape only; validated later
		{"2024-03", true, rawDate{2024, 3, 0, PrecisionMonth}, 7},
		{"2024-03", false, rawDate{}, 0},
		{"2024", true, rawDate{2024, 0, 0, PrecisionYear}, 4},
		{"2024", false, rawDate{}, 0},
		{"2024年3月15日", false, rawDate{2024, 3, 15, PrecisionDay}, len("2024年3月15日")},
		{"2024年3月15号", false, rawDate{2024, 3, 15, PrecisionDay}, len("2024年3月15号")},
		{"2024年3月", false, rawDate{2024, 3, 0, PrecisionMonth}, len("2024年3月")},
		{"2024年", false, rawDate{2024, 0, 0, PrecisionYear}, len("2024年")},
		{"March 15, 2024", false, rawDate{2024, 3, 15, PrecisionDay}, 14},
		{"Mar. 15, 2024", false, rawDate{2024, 3, 15, PrecisionDay}, 13},
		{"Sept. 1st 2024", false, rawDate{2024, 9, 1, PrecisionDay}, 14},
		{"July 13th, 2022,", false, rawDate{2022, 7, 13, PrecisionDay}, 15},
		{"march 15, 2024", false, rawDate{}, 0},
		{"march 15, 2024", true, rawDate{2024, 3, 15, PrecisionDay}, 14},
		{"March 2024", false, rawDate{2024, 3, 0, PrecisionMonth}, 10},
		{"September, 2021", false, rawDate{2021, 9, 0, PrecisionMonth}, 15},
		{"15 March 2024", false, rawDate{2024, 3, 15, PrecisionDay}, 13},
		{"15th March 2024", false, rawDate{2024, 3, 15, PrecisionDay}, 15},
		{"15th of March, 2024", false, rawDate{2024, 3, 15, PrecisionDay}, 19},
		{"June 8, party", false, rawDate{}, 0},
		{"July 12th to 15th", false, rawDate{}, 0},
		{"20th National Congress", false, rawDate{}, 0},
		{"4.936 million", false, rawDate{}, 0},
		{"2004 years", false, rawDate{}, 0},
		{"12345-01-01", false, rawDate{}, 0},
		{"Marching 2024", false, rawDate{}, 0},
		{"2021-2022", false, rawDate{}, 0},
	}
	for _, tt := range tests {
		got, n := scanDate(tt.in, tt.lenient)
		if got != tt.want || n != tt.n {
			t.Errorf("scanDate(%q, %v) = %+v, %d; want %+v, %d", tt.in, tt.lenient, got, n, tt.want, tt.n)
		}
	}
}

func TestSkipTime(t *testing.T) {
	tests := []struct {
		in string
		n  int
	}{
		{"T10:00:00Z rest", 10},
		{"T10:00:00+08:00", 15},
		{"T10:00:00.123-05:00", 19},
		{" 10:30 rest", 6},
		{" 9:05", 5},
		{" Mohe City", 0},
		{"", 0},
		{" 10 people", 0},
	}
	for _, tt := range tests {
		if n := skipTime(tt.in); n != tt.n {
			t.Errorf("skipTime(%q) = %d, want %d", tt.in, n, tt.n)
		}
	}
}
