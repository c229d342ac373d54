// Package suggest finds what a person probably meant: the known word
// nearest a mistyped flag, setting or command, and the policy value
// nearest a token's. A leaf: it imports nothing of the probe, so every
// package that says "did you mean" can use it without a surprising edge.
package suggest
