package plan

// MarkPareto sets Point.Pareto on the Pareto front of the chip points that
// fit (a latency is modelled): no other such point has at least the
// accuracy, at most the energy per inference and at most the latency, and
// is strictly better in one of them. Accuracy counts only when every
// candidate has one (not for estimates).
func MarkPareto(points []Point) {
	var cand []int
	withAcc := true
	for i := range points {
		p := &points[i]
		p.Pareto = false
		if p.Fits() && p.Latency > 0 {
			cand = append(cand, i)
			withAcc = withAcc && p.Accuracy != nil
		}
	}
	for _, i := range cand {
		dominated := false
		for _, j := range cand {
			if j != i && dominates(&points[j], &points[i], withAcc) {
				dominated = true
				break
			}
		}
		points[i].Pareto = !dominated
	}
}

// dominates reports whether q is at least as good as p in every objective
// and better in one.
func dominates(q, p *Point, withAcc bool) bool {
	if q.EnergyPerInference > p.EnergyPerInference || q.Latency > p.Latency {
		return false
	}
	better := q.EnergyPerInference < p.EnergyPerInference || q.Latency < p.Latency
	if withAcc {
		if *q.Accuracy < *p.Accuracy {
			return false
		}
		better = better || *q.Accuracy > *p.Accuracy
	}
	return better
}
