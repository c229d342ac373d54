package satoken

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// claimType is the JSON type a claim the probe reads must have, and for an
// object, the types of its members. A claim that is absent or null is left
// out, as encoding/json does; any other type is an error naming the claim.
type claimType struct {
	want    string // what the error says is wanted
	kind    string // the JSON kind: string, number, object, or "aud"
	members map[string]claimType
}

var (
	stringClaim  = claimType{want: "a string", kind: "string"}
	numericClaim = claimType{want: "a number (NumericDate: seconds since 1970)", kind: "number"}
	namedClaim   = claimType{want: "an object", kind: "object", members: map[string]claimType{"name": stringClaim}}
)

// claimTypes are the types of the claims Parse reads (RFC 7519 section 4.1,
// and the kubernetes.io claim of a projected token).
var claimTypes = map[string]claimType{
	"iss": stringClaim,
	"sub": stringClaim,
	"aud": {want: "a string or an array of strings", kind: "aud"},
	"exp": numericClaim,
	"iat": numericClaim,
	"nbf": numericClaim,
	"kubernetes.io": {want: "an object", kind: "object", members: map[string]claimType{
		"namespace":      stringClaim,
		"pod":            namedClaim,
		"serviceaccount": namedClaim,
	}},
}

// jsonKind names the JSON type of a valid JSON value.
func jsonKind(v json.RawMessage) string {
	switch s := strings.TrimLeft(string(v), " \t\r\n"); {
	case s == "":
		return "empty"
	case s[0] == '"':
		return "string"
	case s[0] == '{':
		return "object"
	case s[0] == '[':
		return "array"
	case s[0] == 't' || s[0] == 'f':
		return "boolean"
	case s[0] == 'n':
		return "null"
	}
	return "number"
}

// checkClaimTypes finds the first claim of obj (in name order, so the
// error is the same every time) whose JSON type is not the one wanted.
// prefix is the path of obj's parent claim ("" at the top).
func checkClaimTypes(obj map[string]json.RawMessage, types map[string]claimType, prefix string) error {
	for _, name := range slices.Sorted(maps.Keys(types)) {
		v, ok := obj[name]
		kind := jsonKind(v)
		if !ok || kind == "null" {
			continue
		}
		ct, path := types[name], prefix+name
		switch {
		case ct.kind == "aud" && kind == "array":
			var elems []json.RawMessage
			if err := json.Unmarshal(v, &elems); err != nil {
				return err
			}
			for i, e := range elems {
				if k := jsonKind(e); k != "string" {
					return fmt.Errorf("claim %q element %d is a JSON %s, want a string", path, i, k)
				}
			}
		case ct.kind == "aud" && kind == "string", kind == ct.kind && ct.members == nil:
		case kind == ct.kind:
			var members map[string]json.RawMessage
			if err := json.Unmarshal(v, &members); err != nil {
				return err
			}
			if err := checkClaimTypes(members, ct.members, path+"."); err != nil {
				return err
			}
		default:
			return fmt.Errorf("claim %q is a JSON %s, want %s", path, kind, ct.want)
		}
	}
	return nil
}
