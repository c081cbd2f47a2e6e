// Package app is digestbot's runtime: what runs beside a transport once the
// command line has loaded the configuration and opened the stores. It
// connects the bot's consumer interfaces to the digest service and the
// search index (Digests, Search, Summaries, DigestPoster), supervises the
// digest scheduler across configuration reloads (Supervisor), polls the
// feeds (Feeds), rescans the corpus folders (Rescan), makes the summaries
// of new articles in the background (SummaryWorker), shares the bot's
// button state between replicas (SharedState) and judges the digests'
// health from their recorded runs (Overdue, Stats).
//
// It takes plain values and functions, never the command line's
// configuration type, and reaches bbolt, bleve, etcd and Discord only
// through the packages that own them.
package app
