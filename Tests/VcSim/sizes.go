package main

import (
	"fmt"
	"strconv"
	"strings"
)

var units = []struct {
	suffix string
	factor int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

func parseSize(text string) (int64, error) {
	text = strings.TrimSpace(text)
	for _, u := range units {
		if strings.HasSuffix(text, u.suffix) {
			n, err := strconv.ParseInt(strings.TrimSuffix(text, u.suffix), 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bad size %q", text)
			}
			return n * u.factor, nil
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q (use B, KiB, MiB or GiB)", text)
	}
	return n, nil
}

func parseSizes(text string) ([]int64, error) {
	var sizes []int64
	for _, part := range strings.Split(text, ",") {
		n, err := parseSize(part)
		if err != nil {
			return nil, err
		}
		if n%(1<<20) != 0 {
			return nil, fmt.Errorf("disk size %q must be a whole number of MiB", part)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("at least one disk")
	}
	return sizes, nil
}
