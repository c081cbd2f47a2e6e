// Package digest writes extractive summaries of articles and builds, renders
// and schedules the digests digestbot posts to Discord channels.
//
// A summary is the few sentences that best carry an article, in their
// original order: LexRank over a TF-IDF cosine sentence graph (IDF from the
// whole store, terms analysed like search), biased by a position prior
// suited to news, with MMR against redundancy (lexrank.go, summary.go). The
// lead stays when the title is a cut copy of it; a one-sentence article's
// summary is that sentence. Summaries are cached in the store; a
// background worker can make those of new articles ahead of use
// (ahead.go), so that a scheduled digest finds them made.
//
// A digest is a titled set of articles with their summaries, chosen for a
// channel at a moment by a selection rule (select.go): "new" (stored since
// the channel's previous digest; a channel's first digest looks back only
// Spec.LookBack), "day" (dated the day the digest covers, Spec.Covers) or
// "on-this-day". Each story is shown once (dedup.go) and rendered as
// Discord message payloads within Discord's limits (render.go). Schedules
// (schedule.go, scheduler.go) post digests through a Poster (poster.go)
// exactly once per run, across restarts and daylight-saving changes; in a
// cluster, a Coverage (coverage.go) shares what was covered.
//
// The package never imports discordgo or the search package: the bot
// implements Poster, and main passes search's analyzer in as an Analyzer.
package digest
