package fleet

import "slices"

// Select keeps only the named service accounts of the listing (with -n,
// --service-account NAME, repeatable): their pods and associations, so
// the inventory, the drift rules, --prove and --migrate see exactly
// those. An empty names keeps everything.
func Select(l *Listing, names []string) {
	if len(names) == 0 {
		return
	}
	keep := func(sa string) bool { return slices.Contains(names, sa) }
	l.ServiceAccounts = slices.DeleteFunc(l.ServiceAccounts, func(s ServiceAccount) bool { return !keep(s.Metadata.Name) })
	l.Pods = slices.DeleteFunc(l.Pods, func(p Pod) bool { return !keep(p.ServiceAccount()) })
	l.Associations = slices.DeleteFunc(l.Associations, func(a Association) bool { return !keep(a.ServiceAccount) })
}
