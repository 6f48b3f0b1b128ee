package main

import (
	"strings"
	"testing"
)

// inclusionOf is the inclusion proof fleetledger would write for leaf 2 of fleet.task.
func inclusionOf(l *ledger) inclusionProof {
	cp := l.checkpoint(tasks, 7)
	return inclusionProof{
		EventID: "e2", Topic: tasks.topic, Partition: tasks.number, LeafIndex: 2, TreeSize: 7,
		LeafHash: hasher.HashLeaf(l.bodies[tasks][2]), AuditPath: l.inclusionPath(tasks, 2, 7),
		Head: l.head(), Checkpoint: &cp,
	}
}

func TestAnInclusionProofOfFleetledgersShapeVerifies(t *testing.T) {
	l := newLedger(t)
	proved, err := verifyInclusionProof(document(t, inclusionOf(l)), l.key)
	must(t, err)
	if !strings.Contains(proved, "event e2 is leaf 2 of fleet.task/0 (7 leaves)") {
		t.Errorf("verdict %q", proved)
	}
}

func TestATamperedInclusionProofIsRefused(t *testing.T) {
	l := newLedger(t)
	for name, tamper := range map[string]func(*inclusionProof){
		"a flipped leaf hash":       func(p *inclusionProof) { p.LeafHash = flipped(p.LeafHash) },
		"a flipped path hash":       func(p *inclusionProof) { p.AuditPath[1] = flipped(p.AuditPath[1]) },
		"a truncated path":          func(p *inclusionProof) { p.AuditPath = p.AuditPath[:2] },
		"the next leaf index":       func(p *inclusionProof) { p.LeafIndex++ },
		"a tree the head never had": func(p *inclusionProof) { p.TreeSize = 6 },
		"another partition":         func(p *inclusionProof) { p.Topic = tools.topic },
		"a changed head":            func(p *inclusionProof) { p.Head = strings.Replace(p.Head, " 7 ", " 6 ", 1) },
		"an older checkpoint":       func(p *inclusionProof) { cp := l.checkpoint(tasks, 6); p.Checkpoint = &cp },
		"another partition's checkpoint": func(p *inclusionProof) {
			cp := l.checkpoint(tools, 2)
			p.Checkpoint = &cp
		},
		"a head re-signed with another root": func(p *inclusionProof) {
			p.Checkpoint = nil // so only the audit path can tell
			p.Head = l.sign(strings.Replace(l.headText(map[partition]uint64{tasks: 7}), b64(l.trees[tasks].HashAt(7)), b64(l.trees[tasks].HashAt(6)), 1))
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := inclusionOf(l)
			tamper(&doc)
			if _, err := verifyInclusionProof(document(t, doc), l.key); err == nil {
				t.Error("the proof verified")
			}
		})
	}
}

func TestAnInclusionProofWithUnknownFieldsIsMalformed(t *testing.T) {
	l := newLedger(t)
	data := strings.Replace(string(document(t, inclusionOf(l))), "{", `{"extra":1,`, 1)
	if _, err := verifyInclusionProof([]byte(data), l.key); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("got %v", err)
	}
}

// consistencyOf is the proof fleetledger would write that the head with fleet.task at 7 and
// fleet.tool at 2 leaves extends the one with fleet.task at 3 leaves.
func consistencyOf(l *ledger, old uint64) consistencyProof {
	return consistencyProof{
		Format: "fleetledger-consistency", Version: 1, Namespace: namespace,
		OldHead: l.sign(l.headText(map[partition]uint64{tasks: old})),
		NewHead: l.head(),
		Partitions: []partitionConsistency{{
			Topic: tasks.topic, Partition: tasks.number,
			OldSize: old, OldRoot: l.trees[tasks].HashAt(old), NewSize: 7, NewRoot: l.trees[tasks].HashAt(7),
			Proof: l.consistencyPath(tasks, old, 7),
		}},
	}
}

func TestAConsistencyProofOfFleetledgersShapeVerifies(t *testing.T) {
	l := newLedger(t)
	for _, old := range []uint64{0, 1, 3, 4, 7} {
		if _, err := verifyConsistencyProof(document(t, consistencyOf(l, old)), l.key); err != nil {
			t.Errorf("from %d leaves: %v", old, err)
		}
	}
}

func TestATamperedConsistencyProofIsRefused(t *testing.T) {
	l := newLedger(t)
	for name, tamper := range map[string]func(*consistencyProof){
		"a flipped proof hash":  func(p *consistencyProof) { p.Partitions[0].Proof[0] = flipped(p.Partitions[0].Proof[0]) },
		"a truncated proof":     func(p *consistencyProof) { p.Partitions[0].Proof = p.Partitions[0].Proof[1:] },
		"the proof of 4 leaves": func(p *consistencyProof) { p.Partitions[0].Proof = l.consistencyPath(tasks, 4, 7) },
		"the heads swapped":     func(p *consistencyProof) { p.OldHead, p.NewHead = p.NewHead, p.OldHead },
		"a tree that shrank": func(p *consistencyProof) {
			e := &p.Partitions[0]
			p.OldHead, p.NewHead = p.NewHead, p.OldHead
			e.OldSize, e.NewSize, e.OldRoot, e.NewRoot = e.NewSize, e.OldSize, e.NewRoot, e.OldRoot
		},
		"a missing entry":     func(p *consistencyProof) { p.Partitions = nil },
		"another namespace":   func(p *consistencyProof) { p.Namespace = "other" },
		"another format":      func(p *consistencyProof) { p.Format = "fleetledger-evidence" },
		"a restated old size": func(p *consistencyProof) { p.Partitions[0].OldSize = 4 },
		"a restated new root": func(p *consistencyProof) { p.Partitions[0].NewRoot = p.Partitions[0].OldRoot },
		"an entry of another partition": func(p *consistencyProof) {
			p.Partitions[0].Topic = tools.topic
		},
		"a new head without the partition": func(p *consistencyProof) {
			p.NewHead = l.sign(l.headText(map[partition]uint64{tools: 2}))
		},
		"a new head re-signed with another root": func(p *consistencyProof) {
			p.NewHead = l.sign(strings.Replace(l.headText(map[partition]uint64{tasks: 7}), b64(l.trees[tasks].HashAt(7)), b64(l.trees[tasks].HashAt(6)), 1))
			p.Partitions[0].NewRoot = l.trees[tasks].HashAt(6)
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := consistencyOf(l, 3)
			tamper(&doc)
			if _, err := verifyConsistencyProof(document(t, doc), l.key); err == nil {
				t.Error("the proof verified")
			}
		})
	}
}

func TestAProofFromTheEmptyTreeIsEmpty(t *testing.T) {
	l := newLedger(t)
	doc := consistencyOf(l, 0)
	doc.Partitions[0].Proof = [][]byte{l.trees[tasks].HashAt(7)}
	if _, err := verifyConsistencyProof(document(t, doc), l.key); err == nil {
		t.Error("a proof of one hash from the empty tree verified")
	}
}
