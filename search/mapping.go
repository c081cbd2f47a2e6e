package search

import (
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/digestbot/digestbot/corpus"
)

// MappingVersion identifies the index layout this build writes: the fields,
// their options and the analysis chain. Change it with any of them; an
// index built with another version is rebuilt from the database on open.
//
// Version 2 keeps no term positions: phrases are checked on the stored text
// (see phrase.go).
const MappingVersion = 2

// Field names in the index.
const (
	fieldTitle = "title"
	fieldBody  = "body"
	// fieldFirst and fieldLast are the first and last day an article's date
	// covers, as days since 1970-01-01; undated articles have neither.
	fieldFirst = "first"
	fieldLast  = "last"
)

// titleBoost is how much more a query word weighs in the title than in the
// body.
const titleBoost = 2.0

// newMapping returns the index mapping. Nothing is stored in the index but
// what search needs: the article text lives in the database, and snippets
// are made from it. Text fields keep no term positions (term vectors):
// phrases are checked on the stored text instead (phrase.go). No doc
// values, no _all field.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	if err := addAnalysis(im); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = analyzerName
	im.ScoringModel = index.BM25Scoring
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	text := func() *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzerName
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	day := func() *mapping.FieldMapping {
		f := mapping.NewNumericFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldTitle, text())
	doc.AddFieldMappingsAt(fieldBody, text())
	doc.AddFieldMappingsAt(fieldFirst, day())
	doc.AddFieldMappingsAt(fieldLast, day())
	im.DefaultMapping = doc
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}

var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// dayNumber is t's calendar day as days since 1970-01-01.
func dayNumber(t time.Time) float64 {
	y, m, d := t.Date()
	return float64(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch) / (24 * time.Hour))
}

// docMaker makes the index documents of articles. Documents are built
// directly rather than mapped by reflection: the same fields and options
// as the mapping declares, analysed with the index's analyzer (which caches
// stems), and without bleve's _all field, which nothing searches.
type docMaker struct {
	text, day index.FieldIndexingOptions
	analyzer  analysis.Analyzer
}

func newDocMaker(im *mapping.IndexMappingImpl, an analyzers) docMaker {
	text, day := im.FieldMappingForPath(fieldBody), im.FieldMappingForPath(fieldFirst)
	return docMaker{text: text.Options(), day: day.Options(), analyzer: an.full}
}

// document is what the index holds of an article.
func (m docMaker) document(a corpus.Article) *document.Document {
	doc := document.NewDocument(a.ID)
	doc.AddField(document.NewTextFieldCustom(fieldTitle, nil, []byte(a.Title), m.text, m.analyzer))
	doc.AddField(document.NewTextFieldCustom(fieldBody, nil, []byte(a.Body), m.text, m.analyzer))
	if first, last, ok := a.Date.Span(); ok {
		doc.AddField(document.NewNumericFieldWithIndexingOptions(fieldFirst, nil, dayNumber(first), m.day))
		doc.AddField(document.NewNumericFieldWithIndexingOptions(fieldLast, nil, dayNumber(last), m.day))
	}
	return doc
}
