package main

import (
	"fmt"
	"sort"
	"testing"
)

func TestEveryVariantSorts(t *testing.T) {
	want := input(10000)
	sort.Ints(want)
	for _, v := range []string{"sequential", "v1", "v2", "v3"} {
		s := input(10000)
		if err := sortWith(v, s, 64); err != nil {
			t.Fatal(err)
		}
		if checksum(s) != checksum(want) {
			t.Errorf("%s does not sort", v)
		}
	}
}

// BenchmarkSort/variant=v3 etc.: `go test -bench . -benchmem` prints one
// line per variant in the Go benchmark format, which tuner reads as samples.
func BenchmarkSort(b *testing.B) {
	base := input(100000)
	s := make([]int, len(base))
	for _, v := range []string{"sequential", "v1", "v2", "v3"} {
		b.Run(fmt.Sprintf("variant=%s", v), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(s, base)
				if err := sortWith(v, s, 2048); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
