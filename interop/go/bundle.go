package main

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// evidenceBundle is a task's evidence bundle, format version 1 (fleetledger's
// integrity/bundle.py): the task's events, each with its inclusion proof against one signed
// ledger head, the partitions' checkpoints, and the collector's manifest of the task's leaves.
type evidenceBundle struct {
	Format      string          `json:"format"`
	Version     int             `json:"version"`
	Namespace   string          `json:"namespace"`
	Task        string          `json:"task"`
	Head        string          `json:"head"`
	Key         *string         `json:"key"`
	Checkpoints []string        `json:"checkpoints"`
	Manifest    []manifestEntry `json:"manifest"`
	Events      []bundleEvent   `json:"events"`
	Excluded    []excludedEvent `json:"excluded"`
}

type manifestEntry struct {
	Topic     string   `json:"topic"`
	Partition uint64   `json:"partition"`
	Leaves    []uint64 `json:"leaves"`
}

type bundleEvent struct {
	Topic     string   `json:"topic"`
	Partition uint64   `json:"partition"`
	Offset    uint64   `json:"offset"`
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	Body      []byte   `json:"body"`
	AuditPath [][]byte `json:"audit_path"`
}

// excludedEvent is an event of the task no signed head can cover: named, not proved.
type excludedEvent struct {
	ID        string `json:"id"`
	Topic     string `json:"topic"`
	Partition uint64 `json:"partition"`
	Offset    uint64 `json:"offset"`
	Reason    string `json:"reason"`
}

// leaf is a position in a partition's tree.
type leaf struct {
	at    partition
	index uint64
}

func (l leaf) String() string { return fmt.Sprintf("%s leaf %d", l.at, l.index) }

func (e bundleEvent) leaf() leaf { return leaf{partition{e.Topic, e.Partition}, e.LeafIndex} }

// verifyBundle runs every check of a bundle (steps 1 to 5 of fleetledger's bundle format)
// and returns all findings, so an auditor sees everything wrong at once.
func verifyBundle(data []byte, key trustedKey) (string, []string) {
	var b evidenceBundle
	if err := decodeStrict(data, &b); err != nil {
		return "", []string{err.Error()}
	}
	if b.Format != "fleetledger-evidence" || b.Version != 1 {
		return "", []string{"not a fleetledger-evidence bundle of version 1"}
	}
	var findings []string
	if b.Key != nil && *b.Key != key.vkey {
		findings = append(findings, fmt.Sprintf("other-key: the bundle names the key %s, not the trusted key %s", *b.Key, key.vkey))
	}
	head, err := openHead(b.Head, key)
	if err != nil {
		findings = append(findings, "bad-signature: "+err.Error())
	} else {
		findings = append(findings, checkProofs(b, head, key)...)
	}
	findings = append(findings, checkBodies(b)...)
	findings = append(findings, checkManifest(b)...)
	if len(findings) > 0 {
		return "", findings
	}
	return fmt.Sprintf("%d events of task %s in %d partitions are in the ledger head of %s signed by %s; %d checkpoints agree; %d events named as excluded, not proved",
		len(b.Events), b.Task, len(b.Manifest), head.namespace, key, len(b.Checkpoints), len(b.Excluded)), nil
}

// checkProofs checks the head is the bundle's namespace's, every checkpoint, and every
// event's inclusion proof from the leaf hash of its body.
func checkProofs(b evidenceBundle, head ledgerHead, key trustedKey) (findings []string) {
	if head.namespace != b.Namespace {
		findings = append(findings, fmt.Sprintf("wrong-namespace: the head is of %q, the bundle of %q", head.namespace, b.Namespace))
	}
	for _, signed := range b.Checkpoints {
		if _, err := checkCheckpoint(signed, head, key); err != nil {
			findings = append(findings, "checkpoint: "+err.Error())
		}
	}
	for i, e := range b.Events {
		err := checkInclusion(head, partition{e.Topic, e.Partition}, e.TreeSize, e.LeafIndex, hasher.HashLeaf(e.Body), e.AuditPath)
		if err != nil {
			findings = append(findings, fmt.Sprintf("not-included: event #%d: %v", i, err))
		}
	}
	return findings
}

// attributes are what a bundle checks of an event: a JSON object with a string id and subject.
type attributes struct {
	ID      *string `json:"id"`
	Subject *string `json:"subject"`
}

// checkBodies checks each body is an event of the task and no event or leaf occurs twice.
func checkBodies(b evidenceBundle) (findings []string) {
	ids, leaves := map[string]int{}, map[leaf]int{}
	for i, e := range b.Events {
		if first, seen := leaves[e.leaf()]; seen {
			findings = append(findings, fmt.Sprintf("duplicate: event #%d is %s again, as event #%d", i, e.leaf(), first))
		}
		leaves[e.leaf()] = i
		var event attributes
		if !utf8.Valid(e.Body) || json.Unmarshal(e.Body, &event) != nil || event.ID == nil || event.Subject == nil {
			findings = append(findings, fmt.Sprintf("malformed-event: event #%d is not a JSON object with a string id and subject", i))
			continue
		}
		if first, seen := ids[*event.ID]; seen {
			findings = append(findings, fmt.Sprintf("duplicate: event #%d repeats event #%d, id %s", i, first, *event.ID))
		}
		ids[*event.ID] = i
		if *event.Subject != b.Task {
			findings = append(findings, fmt.Sprintf("foreign-subject: event #%d is of subject %q, not %q", i, *event.Subject, b.Task))
		}
	}
	return findings
}

// checkManifest checks the manifest and the events name the same leaves, each once.
func checkManifest(b evidenceBundle) (findings []string) {
	if len(b.Events) == 0 {
		findings = append(findings, "missing: the bundle holds no events")
	}
	listed, carried := map[leaf]bool{}, map[leaf]bool{}
	for _, e := range b.Events {
		carried[e.leaf()] = true
	}
	for _, entry := range b.Manifest {
		for _, index := range entry.Leaves {
			l := leaf{partition{entry.Topic, entry.Partition}, index}
			if listed[l] {
				findings = append(findings, fmt.Sprintf("duplicate: the manifest lists %s twice", l))
			} else if !carried[l] {
				findings = append(findings, fmt.Sprintf("missing: the manifest lists %s, but the bundle has no event for it", l))
			}
			listed[l] = true
		}
	}
	for i, e := range b.Events {
		if !listed[e.leaf()] {
			findings = append(findings, fmt.Sprintf("unlisted: event #%d, %s, is not in the manifest", i, e.leaf()))
		}
	}
	return findings
}
