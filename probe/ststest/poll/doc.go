// Package poll is how tests wait for a probe that runs on its own
// schedule: Eventually polls a condition until a deadline, WatchStatus
// GETs an endpoint over and over as kubelet probes a container. Every
// wait is bounded by its caller's duration.
package poll
