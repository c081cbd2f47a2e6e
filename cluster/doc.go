// Package cluster runs digestbot as one replica of several, coordinated
// through etcd. It owns every etcd type: nothing else in digestbot imports
// the etcd client.
//
// # What lives in etcd
//
// Under the configured prefix (default /digestbot/):
//
//	members/NAME                  this replica is up (under its lease)
//	leader/LEASE                  concurrency.Election candidates; the oldest leads
//	runs/DIGEST/SLOT              a digest run (store.DigestRun as JSON), kept after it ends
//	claims/DIGEST/SLOT            who is posting a pending run (under the poster's lease)
//	cover/CHANNEL/DIGEST/SLOT     the article IDs a finished "new" digest covered
//	shards/COUNT/ID               who holds a gateway shard (under its lease)
//	identify/BUCKET               concurrency.Mutex pacing identifies per max_concurrency bucket
//	state/KEY                     button state too long for a custom ID (under a 30-day lease)
//	feeds/NAME                    who polls a feed (under its lease)
//	feedpolls/TIME-REPLICA-N      what a feed poll stored, for the other replicas (kept a day)
//
// # One lease per replica
//
// A replica holds one lease of the configured TTL and keeps it alive. Its
// member key, its election candidacy and its claims are all attached to
// it, so when a replica dies or is cut off, everything it held goes when
// the lease expires, at once. When its lease is lost the replica grants a
// new one as soon as etcd answers again, and starts over as a newcomer.
//
// # One elected scheduler, not racing claims
//
// Only the replica elected leader (concurrency.Election on leader/) runs
// the digest schedules. The alternative, every replica racing to claim
// each run, was rejected: every replica would build every digest (LexRank
// over the new articles is the costliest thing digestbot does, and only
// one build is ever posted), and each slot would cost every replica its
// reads and a losing transaction. An election costs one key per replica
// and a watch, and failover is as fast: a dead leader's candidacy and its
// claims expire with the same lease, so the next candidate is elected and
// resumes the pending run within the lease. Claims are still transactions
// (create-if-absent under the claimer's lease), so two replicas that both
// believe they lead — the old one paused, the new one elected — cannot
// both post a run, and a manual post from any replica is claimed the same
// way.
//
// # Fencing
//
// A replica must never post after losing its lease, yet a post goes to
// Discord, not etcd, so it cannot be part of a transaction. Before every
// post the replica renews its lease once (LeaseKeepAliveOnce, a round trip
// that fails if the lease is gone) and posts under a deadline of the moment
// it asked plus 90% of the TTL granted: the lease, and so the claim,
// provably outlives the post. A replica paused or partitioned past its
// lease fails that renewal and posts nothing; one paused within the post
// finds its deadline passed when it wakes, so its request is abandoned.
// Recording a sent message and finishing a run are transactions that
// compare the claim's lease with the replica's own, so a replica that
// lost its claim cannot record over the one that took it. What is left —
// a request already written to the socket when the pause hit — is what the
// Discord nonce covers: the replica that resumes the run posts the same
// message with the same nonce, and Discord creates it once.
//
// # "New since the last digest"
//
// Each replica numbers its own change log, so a local position means
// nothing to another replica. A finished "new" digest records the IDs of
// the articles it covered under cover/; a replica builds the next one from
// the articles of its own change log that no recorded digest to the
// channel covered, and moves its local position (in its own store) over
// the changes all covered. A failover therefore neither repeats nor skips
// an article, whichever replica loaded it first. Cover records go with
// their runs when old runs are pruned (the 500 most recent are kept per
// digest); a replica that was away for longer than that may repeat
// articles it had loaded and another replica covered meanwhile. A covered
// set over 1 MiB (a first digest over some 60,000 articles) is not
// recorded, with a warning: the replica that posted it keeps its own
// position, the others may repeat those articles once.
//
// # Gateway shards
//
// Replicas claim shards (RunShards) up to a fair share of the live
// members, rounded up, so every shard has an owner while enough replicas
// live and spare replicas stand by; a dead owner's shard is claimed when
// its lease expires, and identified within its bucket's 5-second window.
// A replica that loses its lease keeps its shards open (the guilds are
// still answered) and claims them again with its next lease, closing any
// that another replica took meanwhile.
//
// # When etcd is unreachable
//
// Nothing is posted: the lease cannot be renewed, so fencing refuses every
// post, and once the lease has expired the leader steps down. Status says
// why, for /healthz and /metrics. Answering commands needs only the local
// store, so it goes on. When etcd answers again the replica takes a new
// lease, campaigns, and the elected leader resumes claims whose lease
// expired and applies the catch-up policy to missed slots.
package cluster
