// Package shellcmd is the one renderer of every command irsa-probe prints
// for a person to paste: argv words in, one line out, that bash, dash and
// interactive zsh (macOS's default shell) all read back as exactly those
// words.
//
// A word is printed bare only when every byte is in a small set no shell
// expands (letters, digits and _ . / : , @ + % - =), and it does not start
// with = (zsh's EQUALS expansion) or is empty; otherwise it is single-quoted,
// a quote inside written as quote, backslash, quote, quote. Single quotes are the one quoting all
// three shells read the same way: no $, `, \ or ! (zsh's and bash's history)
// expansion inside, and dash has no $'…'.
//
// A value holding a rune a terminal acts on or hides is refused, not
// printed: C0 and C1 controls, DEL, the line and paragraph separators,
// bidirectional overrides and isolates and every other format character,
// and invalid UTF-8. Inside quotes it would still reach the terminal, so
// what a person reads would not be what they copy. The error
// (*UnprintableError) names the rune, escaped, so the caller can say why
// in prose instead of printing the command.
//
// A value a command reads as a word of its own (an operand, or a flag's
// separate value) is rendered by Operand, which also refuses one starting
// with - (*OptionError): kubectl, aws and package managers would read it
// as an option. A value bound to its flag is one word, --namespace=VALUE.
//
// No command line carries a trailing # comment: interactive zsh without
// INTERACTIVE_COMMENTS reads # as a word. Callers print explanations on
// lines of their own.
package shellcmd
