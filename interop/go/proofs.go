package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var hasher = rfc6962.DefaultHasher

// inclusionProof is what `fleetledger prove EVENT_ID --json` writes (fleetledger's
// audit/prove.py, InclusionProof.to_json); hashes are standard base64.
type inclusionProof struct {
	EventID    string   `json:"event_id"`
	Topic      string   `json:"topic"`
	Partition  uint64   `json:"partition"`
	LeafIndex  uint64   `json:"leaf_index"`
	TreeSize   uint64   `json:"tree_size"`
	LeafHash   []byte   `json:"leaf_hash"`
	AuditPath  [][]byte `json:"audit_path"`
	Head       string   `json:"head"`
	Checkpoint *string  `json:"checkpoint"`
}

// verifyInclusionProof checks the head's signature, that the head signed the tree the proof
// is for, the audit path from the leaf hash to that tree's root, and the checkpoint if any.
func verifyInclusionProof(data []byte, key trustedKey) (string, error) {
	var doc inclusionProof
	if err := decodeStrict(data, &doc); err != nil {
		return "", err
	}
	head, err := openHead(doc.Head, key)
	if err != nil {
		return "", err
	}
	at := partition{doc.Topic, doc.Partition}
	if err := checkInclusion(head, at, doc.TreeSize, doc.LeafIndex, doc.LeafHash, doc.AuditPath); err != nil {
		return "", err
	}
	if doc.Checkpoint != nil {
		of, err := checkCheckpoint(*doc.Checkpoint, head, key)
		if err == nil && of != at {
			err = fmt.Errorf("the checkpoint is of %s, not of %s", of, at)
		}
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("event %s is leaf %d of %s (%d leaves) in the ledger head of %s signed by %s",
		doc.EventID, doc.LeafIndex, at, doc.TreeSize, head.namespace, key), nil
}

// checkInclusion checks leaf index of partition at, in a tree of size leaves, against the head.
func checkInclusion(head ledgerHead, at partition, size, index uint64, leaf []byte, path [][]byte) error {
	line, err := head.line(at)
	if err != nil {
		return err
	}
	if size != line.size {
		return fmt.Errorf("%s leaf %d is proved in a tree of %d leaves; the head signed %d", at, index, size, line.size)
	}
	if err := proof.VerifyInclusion(hasher, index, size, leaf, path, line.root); err != nil {
		return fmt.Errorf("%s leaf %d is not in the signed tree: %w", at, index, described(err))
	}
	return nil
}

// consistencyProof is what `fleetledger prove --consistency OLD NEW --json` writes (format in
// fleetledger's audit/prove.py): one proof per partition of the old head.
type consistencyProof struct {
	Format     string                 `json:"format"`
	Version    int                    `json:"version"`
	Namespace  string                 `json:"namespace"`
	OldHead    string                 `json:"old_head"`
	NewHead    string                 `json:"new_head"`
	Partitions []partitionConsistency `json:"partitions"`
}

type partitionConsistency struct {
	Topic     string   `json:"topic"`
	Partition uint64   `json:"partition"`
	OldSize   uint64   `json:"old_size"`
	OldRoot   []byte   `json:"old_root"`
	NewSize   uint64   `json:"new_size"`
	NewRoot   []byte   `json:"new_root"`
	Proof     [][]byte `json:"proof"`
}

// verifyConsistencyProof checks both heads' signatures and namespace, that the document has
// one entry per line of the old head, in its order, repeating both heads' trees, and each
// entry's proof from the old tree to the new one.
func verifyConsistencyProof(data []byte, key trustedKey) (string, error) {
	var doc consistencyProof
	if err := decodeStrict(data, &doc); err != nil {
		return "", err
	}
	if doc.Format != "fleetledger-consistency" || doc.Version != 1 {
		return "", fmt.Errorf("not a fleetledger-consistency proof of version 1")
	}
	heads := [2]ledgerHead{}
	for i, signed := range []string{doc.OldHead, doc.NewHead} {
		head, err := openHead(signed, key)
		if err != nil {
			return "", err
		}
		if head.namespace != doc.Namespace {
			return "", fmt.Errorf("a head is of namespace %q, the proof of %q", head.namespace, doc.Namespace)
		}
		heads[i] = head
	}
	if len(doc.Partitions) != len(heads[0].order) {
		return "", fmt.Errorf("the proof has %d entries for the old head's %d partitions", len(doc.Partitions), len(heads[0].order))
	}
	for i, entry := range doc.Partitions {
		if err := checkEntry(entry, heads[0].order[i], heads[0], heads[1]); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("the ledger head of %s at %d leaves extends the one at %d leaves (%d partitions proved), both signed by %s",
		doc.Namespace, heads[1].leaves(), heads[0].leaves(), len(doc.Partitions), key), nil
}

// checkEntry checks one partition's entry against both signed heads, then its proof.
func checkEntry(entry partitionConsistency, at partition, oldHead, newHead ledgerHead) error {
	if (partition{entry.Topic, entry.Partition}) != at {
		return fmt.Errorf("the entry for %s/%d is where the old head has %s", entry.Topic, entry.Partition, at)
	}
	old := oldHead.lines[at] // at is one of the old head's partitions
	updated, err := newHead.line(at)
	if err != nil {
		return err
	}
	if !sameTree(old, treeHead{entry.OldSize, entry.OldRoot}) || !sameTree(updated, treeHead{entry.NewSize, entry.NewRoot}) {
		return fmt.Errorf("the entry for %s does not repeat the signed heads' trees", at)
	}
	if err := checkConsistency(old, updated, entry.Proof); err != nil {
		return fmt.Errorf("%s: the tree of %d leaves does not extend the one of %d: %w", at, updated.size, old.size, err)
	}
	return nil
}

// checkConsistency checks that tree updated extends tree old. Any tree extends the empty one,
// and fleetledger proves that with an empty proof; transparency-dev/merkle calls a proof from
// size 0 meaningless (newer versions refuse it), so that case is checked here: the empty
// tree's root was checked when the head was read.
func checkConsistency(old, updated treeHead, path [][]byte) error {
	switch {
	case updated.size < old.size: // merkle's own message names the two sizes the other way round
		return fmt.Errorf("the tree shrank from %d to %d leaves", old.size, updated.size)
	case old.size == 0:
		if len(path) != 0 {
			return fmt.Errorf("a proof from the empty tree is empty, not %d hashes", len(path))
		}
		return nil
	}
	return described(proof.VerifyConsistency(hasher, old.size, updated.size, path, old.root, updated.root))
}

// described rewords merkle's root mismatch, whose message spells hashes as decimal bytes.
func described(err error) error {
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("the proof leads to root %x, not to the signed root %x", mismatch.CalculatedRoot, mismatch.ExpectedRoot)
	}
	return err
}

// decodeStrict reads one JSON value of UTF-8 text into v, refusing unknown fields and
// trailing data (encoding/json would silently replace invalid UTF-8).
func decodeStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return errors.New("malformed input: not UTF-8 text")
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(v); err != nil {
		return fmt.Errorf("malformed input: %w", err)
	}
	if _, err := decoder.Token(); err != io.EOF {
		return errors.New("malformed input: more than one JSON value")
	}
	return nil
}
