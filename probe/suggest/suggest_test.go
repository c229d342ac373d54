package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"sts.amazonaws.com", "sts.amazonaws.com", 0}, {"sts.amazonaws.com", "sts.amazonaw.com", 1},
		{"timeout", "timeuot", 2}, {"check", "chekc", 2},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"check", "serve", "trust-policy", "version"}
	for _, c := range []struct{ in, want string }{
		{"chekc", "check"}, {"serv", "serve"}, {"trust-polcy", "trust-policy"}, {"deploy", ""}, {"", ""},
	} {
		if got := Closest(c.in, known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
