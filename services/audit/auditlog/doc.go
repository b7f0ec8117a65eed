// Package auditlog is what an auditor's tool needs to check a tenant's history without trusting
// the deployment: the leaf definition, signed checkpoints, an in-memory Merkle tree, the log
// verifier with its findings, and the offline bundle. It needs neither NATS nor PostgreSQL.
//
// # The tree
//
// Every event (not every message) is one leaf of an RFC 6962 Merkle tree, numbered from 0 in log
// order: messages by stream sequence, events by their index in the message's Commit.
//
//	leaf data = uint64 big-endian stream sequence   (8 bytes)
//	         || uint32 big-endian index in commit   (4 bytes)
//	         || the event's stored envelope bytes   (Record.envelope exactly as stored)
//	leaf hash = SHA-256(0x00 || leaf data)
//
// The stream sequence and the index are in the leaf so that a reordered or renumbered log changes
// the root even when every event's bytes are intact. All tree hashing and every proof goes through
// golang.org/x/mod/sumdb/tlog, whose hashes are RFC 6962's.
//
// # Checkpoints
//
// A checkpoint is a C2SP tlog-checkpoint body
//
//	civicase.<tenant>
//	<tree size, decimal>
//	<root hash, standard base64>
//
// signed as a note (golang.org/x/mod/sumdb/note) with an Ed25519 key named like the origin.
package auditlog
