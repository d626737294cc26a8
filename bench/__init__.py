"""`make bench`: capture throughput and search latency, each as a ratio to a reference."""
