package store

// Provider lets the tests migrate part of the way, to check what a
// migration does to rows written before it.
var Provider = provider
