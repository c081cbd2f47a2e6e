package digest

import (
	"math"
)

// LexRank (Erkan & Radev, 2004), continuous form: sentences are nodes, edges
// are weighted by the TF-IDF cosine similarity of the two sentences, and a
// sentence's score is its stationary probability under a random walk that
// follows edges and, with probability teleport, jumps to a sentence drawn
// from a prior. The prior carries what news writing knows: the opening
// sentences matter most, and sentences that echo the headline say what the
// story is about.
const (
	teleport      = 0.3  // share of the walk that jumps by the prior
	positionDecay = 0.6  // prior ∝ 1/(rank+1)^positionDecay
	titleBoost    = 2.0  // prior × (1 + titleBoost·cos(title, sentence))
	mmrLambda     = 0.75 // MMR: weight of centrality against redundancy
	maxRedundancy = 0.65 // never pick a sentence this similar to a picked one
	maxIterations = 200
	tolerance     = 1e-10
)

// vector is a sparse TF-IDF vector: term indexes ascending, weights, and
// the Euclidean norm.
type vector struct {
	terms   []int32
	weights []float64
	norm    float64
}

// cosine returns the cosine similarity of a and b.
func cosine(a, b vector) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	var dot float64
	i, j := 0, 0
	for i < len(a.terms) && j < len(b.terms) {
		switch {
		case a.terms[i] < b.terms[j]:
			i++
		case a.terms[i] > b.terms[j]:
			j++
		default:
			dot += a.weights[i] * b.weights[j]
			i++
			j++
		}
	}
	return dot / (a.norm * b.norm)
}

// similarities returns the symmetric matrix of cosine similarities of vecs,
// row-major, with a zero diagonal.
func similarities(sc *scratch, vecs []vector, vocab int) []float64 {
	n := len(vecs)
	sim := grow(sc.sim, n*n)
	clear(sim)
	sc.sim = sim
	dense := grow(sc.dense, vocab) // kept all zero between rows
	clear(dense)
	sc.dense = dense
	for i := 0; i < n; i++ {
		a := vecs[i]
		if a.norm == 0 {
			continue
		}
		for k, t := range a.terms {
			dense[t] = a.weights[k]
		}
		for j := i + 1; j < n; j++ {
			b := vecs[j]
			if b.norm == 0 {
				continue
			}
			var dot float64
			for k, t := range b.terms {
				dot += dense[t] * b.weights[k]
			}
			s := dot / (a.norm * b.norm)
			sim[i*n+j], sim[j*n+i] = s, s
		}
		for _, t := range a.terms {
			dense[t] = 0
		}
	}
	return sim
}

// positionPrior returns the news prior over n sentences: decaying with
// position, raised by similarity to the title (titleSim, may be nil),
// normalised to sum to one.
func positionPrior(n int, titleSim []float64) []float64 {
	p := make([]float64, n)
	var sum float64
	for i := range p {
		p[i] = 1 / math.Pow(float64(i+1), positionDecay)
		if titleSim != nil {
			p[i] *= 1 + titleBoost*titleSim[i]
		}
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// lexRank returns the stationary scores of the similarity graph sim (n×n)
// with teleportation to prior. The scores sum to one.
func lexRank(sim []float64, prior []float64) []float64 {
	n := len(prior)
	if n == 0 {
		return nil
	}
	// The graph of a long article is often sparse: sentences that share
	// no term have no edge. Then the walk follows each row's edges only
	// (adding w·0 would change nothing), so its cost grows with the
	// edges, not with n².
	rowSum := make([]float64, n)
	edges := 0
	for i := 0; i < n; i++ {
		for _, s := range sim[i*n : (i+1)*n] {
			rowSum[i] += s
			if s != 0 {
				edges++
			}
		}
	}
	var cols []int32 // with a sparse graph: the edges of each row
	var vals []float64
	var rowEnd []int
	if edges < n*n/3 {
		cols, vals, rowEnd = make([]int32, 0, edges), make([]float64, 0, edges), make([]int, n)
		for i := 0; i < n; i++ {
			for j, s := range sim[i*n : (i+1)*n] {
				if s != 0 {
					cols = append(cols, int32(j))
					vals = append(vals, s)
				}
			}
			rowEnd[i] = len(cols)
		}
	}
	p := append([]float64(nil), prior...)
	next := make([]float64, n)
	for iter := 0; iter < maxIterations; iter++ {
		// Mass on sentences with no edges follows the prior.
		var dangling float64
		for i := 0; i < n; i++ {
			if rowSum[i] == 0 {
				dangling += p[i]
			}
		}
		for j := 0; j < n; j++ {
			next[j] = (teleport + (1-teleport)*dangling) * prior[j]
		}
		for i := 0; i < n; i++ {
			if rowSum[i] == 0 || p[i] == 0 {
				continue
			}
			w := (1 - teleport) * p[i] / rowSum[i]
			if rowEnd == nil {
				for j, s := range sim[i*n : (i+1)*n] {
					next[j] += w * s
				}
				continue
			}
			start := 0
			if i > 0 {
				start = rowEnd[i-1]
			}
			for k, j := range cols[start:rowEnd[i]] {
				next[j] += w * vals[start+k]
			}
		}
		var diff float64
		for j := range next {
			diff += math.Abs(next[j] - p[j])
		}
		p, next = next, p
		if diff < tolerance {
			break
		}
	}
	return p
}

// mmrPick chooses up to k of the candidate nodes (indexes into scores and
// sim, in article order) by maximal marginal relevance: each pick has the
// best mix of score and novelty against the sentences already picked,
// never repeats one too similar to a picked one, and fits the remaining
// budget (fits reports whether node c fits next to those picked). Ties go
// to the earlier sentence, so the result is deterministic.
func mmrPick(k int, candidates []int, scores, sim []float64, n int, fits func(picked []int, c int) bool) []int {
	var top float64
	for _, c := range candidates {
		top = math.Max(top, scores[c])
	}
	if top == 0 {
		top = 1
	}
	var picked []int
	used := make([]bool, n)
	for len(picked) < k {
		best, bestScore := -1, math.Inf(-1)
		for _, c := range candidates {
			if used[c] {
				continue
			}
			var red float64
			for _, p := range picked {
				red = math.Max(red, sim[c*n+p])
			}
			if red >= maxRedundancy || !fits(picked, c) {
				continue
			}
			if s := mmrLambda*scores[c]/top - (1-mmrLambda)*red; s > bestScore {
				best, bestScore = c, s
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		picked = append(picked, best)
	}
	return picked
}
