package appsdk

import (
	"strconv"
	"strings"
)

// maxVersion bounds a version string read from a file: SDK versions are
// short, and a longer value is not one.
const maxVersion = 64

// Compare compares two dotted versions numerically ("1.9.220" < "1.12.0"),
// ignoring a leading "v" and any pre-release or build suffix ("-rc1",
// "+incompatible"); a missing part counts as 0. Parts that are not numbers
// compare as 0.
func Compare(a, b string) int {
	pa, pb := parts(a), parts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func parts(v string) []int {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	var out []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			n = 0
		}
		out = append(out, n)
	}
	return out
}

// validVersion says whether v looks like a version: short, starting with a
// digit (or v and a digit), of digits, letters, dots, dashes and pluses.
func validVersion(v string) bool {
	v = strings.TrimPrefix(v, "v")
	if v == "" || len(v) > maxVersion || v[0] < '0' || v[0] > '9' {
		return false
	}
	for _, r := range v {
		ok := r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-' || r == '+'
		if !ok {
			return false
		}
	}
	return true
}
