package main

import (
	"strings"
	"testing"
)

// bundleOf is the evidence bundle of task-1 fleetledger would write: its 7 events in
// fleet.task with their proofs, both partitions' checkpoints, and the manifest.
func bundleOf(l *ledger) evidenceBundle {
	vkey := l.key.vkey
	b := evidenceBundle{
		Format: "fleetledger-evidence", Version: 1, Namespace: namespace, Task: task,
		Head: l.head(), Key: &vkey,
		Checkpoints: []string{l.checkpoint(tasks, 7), l.checkpoint(tools, 2)},
		Manifest:    []manifestEntry{{Topic: tasks.topic, Partition: tasks.number}},
	}
	for i, body := range l.bodies[tasks] {
		index := uint64(i)
		b.Manifest[0].Leaves = append(b.Manifest[0].Leaves, index)
		b.Events = append(b.Events, bundleEvent{
			Topic: tasks.topic, Partition: tasks.number, Offset: index, LeafIndex: index, TreeSize: 7,
			Body: body, AuditPath: l.inclusionPath(tasks, index, 7),
		})
	}
	return b
}

func TestABundleOfFleetledgersShapeVerifies(t *testing.T) {
	l := newLedger(t)
	proved, findings := verifyBundle(document(t, bundleOf(l)), l.key)
	if len(findings) > 0 {
		t.Fatal(findings)
	}
	if !strings.Contains(proved, "7 events of task task-1 in 1 partitions") {
		t.Errorf("verdict %q", proved)
	}
}

func TestEachWayABundleCanBeWrongIsAFinding(t *testing.T) {
	l := newLedger(t)
	other := newKey(t).vkey
	for want, tamper := range map[string]func(*evidenceBundle){
		"other-key":       func(b *evidenceBundle) { b.Key = &other },
		"bad-signature":   func(b *evidenceBundle) { b.Head = strings.Replace(b.Head, " 7 ", " 6 ", 1) },
		"wrong-namespace": func(b *evidenceBundle) { b.Namespace = "other" },
		"checkpoint: ":    func(b *evidenceBundle) { b.Checkpoints[0] = l.checkpoint(tasks, 6) },
		"not-included: event #3": func(b *evidenceBundle) {
			b.Events[3].Body = []byte(`{"id":"e3","subject":"task-1" }`)
		},
		"not-included: event #4":  func(b *evidenceBundle) { b.Events[4].AuditPath = b.Events[4].AuditPath[1:] },
		"not-included: event #5":  func(b *evidenceBundle) { b.Events[5].TreeSize = 6 },
		"malformed-event":         func(b *evidenceBundle) { b.Events[0].Body = []byte("[1]") },
		"foreign-subject":         func(b *evidenceBundle) { b.Task = "task-2" },
		"duplicate: event #7":     func(b *evidenceBundle) { b.Events = append(b.Events, b.Events[0]) },
		"duplicate: the manifest": func(b *evidenceBundle) { b.Manifest[0].Leaves = append(b.Manifest[0].Leaves, 0) },
		"missing: the manifest lists fleet.task/0 leaf 6": func(b *evidenceBundle) {
			b.Events = b.Events[:6]
		},
		"unlisted: event #6":                  func(b *evidenceBundle) { b.Manifest[0].Leaves = b.Manifest[0].Leaves[:6] },
		"missing: the bundle holds no events": func(b *evidenceBundle) { b.Events, b.Manifest = nil, nil },
	} {
		t.Run(want, func(t *testing.T) {
			b := bundleOf(l)
			tamper(&b)
			_, findings := verifyBundle(document(t, b), l.key)
			wantFinding(t, findings, want)
		})
	}
}

func TestABundleOfAnotherFormatIsRefusedAtOnce(t *testing.T) {
	l := newLedger(t)
	b := bundleOf(l)
	b.Version = 2
	_, findings := verifyBundle(document(t, b), l.key)
	if len(findings) != 1 || !strings.Contains(findings[0], "version 1") {
		t.Errorf("findings %q", findings)
	}
}
