package config

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Setting is one row of the settings table: a variable the binary reads,
// and the flag that overrides it, if any.
type Setting struct {
	Env      string   // the variable, e.g. IRSA_PROBE_TIMEOUT
	Flag     string   // the flag's name without dashes, or ""
	Commands []string // the commands that have the flag
	Default  string   // as documented
	Desc     string
	Kind     string // "duration" or "string", the flag's value
	// field is the path to the value in a Config, for BindFlags.
	field []int
	name  string // the Go field name, for errors
}

// HasFlag reports whether cmd's flag set has this setting's flag.
func (s Setting) HasFlag(cmd string) bool {
	return s.Flag != "" && slices.Contains(s.Commands, cmd)
}

// Table lists every variable the binary reads, AWS's first, then the
// probe's, in declaration order. It is derived once from the struct tags.
var Table = sync.OnceValue(func() []Setting {
	var out []Setting
	t := reflect.TypeOf(Config{})
	for _, group := range []struct{ field, prefix string }{{"AWS", ""}, {"Settings", Prefix}} {
		gf, _ := t.FieldByName(group.field)
		for i := range gf.Type.NumField() {
			f := gf.Type.Field(i)
			key := f.Tag.Get("envconfig")
			if key == "" {
				key = strings.ToUpper(f.Name)
			}
			s := Setting{
				Env:     group.prefix + key,
				Flag:    f.Tag.Get("flag"),
				Default: f.Tag.Get("default"),
				Desc:    f.Tag.Get("desc"),
				field:   append(slices.Clone(gf.Index), f.Index...),
				name:    f.Name,
				Kind:    "string",
			}
			if f.Type == reflect.TypeOf(time.Duration(0)) {
				s.Kind = "duration"
			}
			if show := f.Tag.Get("show"); show != "" {
				s.Default = show
			}
			if c := f.Tag.Get("cmd"); c != "" {
				s.Commands = strings.Split(c, ",")
			}
			out = append(out, s)
		}
	}
	return out
})

// EnvNames lists the names of every variable the binary reads, sorted.
func EnvNames() []string {
	var out []string
	for _, s := range Table() {
		out = append(out, s.Env)
	}
	slices.Sort(out)
	return out
}

// settingByField is the row of a Settings field; a bad name is a bug.
func settingByField(name string) Setting {
	for _, s := range Table() {
		if s.name == name && strings.HasPrefix(s.Env, Prefix) {
			return s
		}
	}
	panic("config: no setting " + name)
}

// Markdown renders the table for docs/settings.md; a test keeps that page in
// step with the code.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | flag | default | meaning |\n|---|---|---|---|\n")
	for _, s := range Table() {
		flag := ""
		if s.Flag != "" {
			flag = "`--" + s.Flag + "` (" + strings.Join(s.Commands, ", ") + ")"
		}
		def := ""
		if s.Default != "" {
			def = "`" + s.Default + "`"
			if strings.HasPrefix(s.Default, "(") || strings.Contains(s.Default, " ") {
				def = s.Default
			}
		}
		b.WriteString("| `" + s.Env + "` | " + flag + " | " + def + " | " + s.Desc + " |\n")
	}
	return b.String()
}
