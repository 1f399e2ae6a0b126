// Command gomergesort is a Go port of the workshop's merge sort
// (GOMAXPROCS and GOGC exercises): a top-down merge sort that allocates a
// helper slice per merge, sequentially (sequential), spawning a goroutine
// for both halves at every split (v1), above a threshold (v2), or for one
// half above a threshold (v3). It sorts `-n` pseudo-random ints `-reps`
// times and prints a checksum of the sorted output, so every variant and
// knob setting can be checked to compute the same thing.
//
// Usage: gomergesort -variant v1 -n 1000000 -reps 3
//
// Knobs come from the environment, as the workshop sets them: GOMAXPROCS
// (threads) and GOGC (garbage collection target).
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sync"
)

// merge merges the sorted halves s[:mid] and s[mid:] through a helper
// slice allocated per call, as the workshop's version does.
func merge(s []int, mid int) {
	helper := make([]int, len(s))
	i, j, k := 0, mid, 0
	for i < mid && j < len(s) {
		if s[j] < s[i] {
			helper[k] = s[j]
			j++
		} else {
			helper[k] = s[i]
			i++
		}
		k++
	}
	k += copy(helper[k:], s[i:mid])
	copy(helper[k:], s[j:])
	copy(s, helper)
}

func sequential(s []int) {
	if len(s) <= 1 {
		return
	}
	mid := len(s) / 2
	sequential(s[:mid])
	sequential(s[mid:])
	merge(s, mid)
}

// v1 spawns a goroutine for both halves at every split.
func v1(s []int) {
	if len(s) <= 1 {
		return
	}
	mid := len(s) / 2
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); v1(s[:mid]) }()
	go func() { defer wg.Done(); v1(s[mid:]) }()
	wg.Wait()
	merge(s, mid)
}

// v2 spawns goroutines for both halves above the threshold.
func v2(s []int, threshold int) {
	if len(s) <= 1 {
		return
	}
	if len(s) <= threshold {
		sequential(s)
		return
	}
	mid := len(s) / 2
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); v2(s[:mid], threshold) }()
	go func() { defer wg.Done(); v2(s[mid:], threshold) }()
	wg.Wait()
	merge(s, mid)
}

// v3 spawns a goroutine for one half above the threshold and sorts the
// other on the current goroutine.
func v3(s []int, threshold int) {
	if len(s) <= 1 {
		return
	}
	if len(s) <= threshold {
		sequential(s)
		return
	}
	mid := len(s) / 2
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); v3(s[:mid], threshold) }()
	v3(s[mid:], threshold)
	wg.Wait()
	merge(s, mid)
}

// sortWith sorts s with the named variant.
func sortWith(variant string, s []int, threshold int) error {
	switch variant {
	case "sequential":
		sequential(s)
	case "v1":
		v1(s)
	case "v2":
		v2(s, threshold)
	case "v3":
		v3(s, threshold)
	default:
		return fmt.Errorf("unknown variant %q (sequential, v1, v2, v3)", variant)
	}
	return nil
}

// input is n pseudo-random ints from a fixed seed.
func input(n int) []int {
	r := rand.New(rand.NewSource(2026))
	s := make([]int, n)
	for i := range s {
		s[i] = r.Int()
	}
	return s
}

// checksum is FNV-1a over the sorted values, so every variant must print
// the same line for the same input.
func checksum(s []int) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range s {
		h ^= uint64(v)
		h *= 1099511628211
	}
	return h
}

func main() {
	variant := flag.String("variant", "sequential", "sequential, v1, v2 or v3")
	n := flag.Int("n", 1000000, "how many ints to sort")
	reps := flag.Int("reps", 1, "how many times to sort a fresh copy")
	threshold := flag.Int("threshold", 2048, "below this many elements v2 and v3 sort sequentially")
	flag.Parse()
	base := input(*n)
	s := make([]int, *n)
	for i := 0; i < *reps; i++ {
		copy(s, base)
		if err := sortWith(*variant, s, *threshold); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	fmt.Printf("sorted %d ints %d times: checksum %016x\n", *n, *reps, checksum(s))
}
