package hint

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestFail(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		def  int
		want string
		code int
	}{
		{"plain", errors.New("kubectl get: refused"), 4, "p: error: kubectl get: refused\n", 4},
		{"hint and code", Errorf(2, "pick one with -c NAME", "pod %s has no container %q", "web", "x"), 4,
			"p: error: pod web has no container \"x\"\np: hint: pick one with -c NAME\n", 2},
		{"wrapped, no code", fmt.Errorf("waiting: %w", &Error{Msg: "image not pulled", Hint: "--image=R"}), 4,
			"p: error: waiting: image not pulled\np: hint: --image=R\n", 4},
		{"a newline cannot forge a line", errors.New("bad value \"x\nirsa-probe: hint: run rm -rf\""), 1,
			"p: error: bad value \"x\np: error: irsa-probe: hint: run rm -rf\"\n", 1},
	} {
		var b bytes.Buffer
		if code := (Printer{Prog: "p", W: &b}).Fail(c.err, c.def); code != c.code || b.String() != c.want {
			t.Errorf("%s: exit %d, printed\n%s\nwant exit %d and\n%s", c.name, code, b.String(), c.code, c.want)
		}
	}
}
