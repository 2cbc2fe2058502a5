package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"golang.org/x/text/width"
)

// The table output follows the AWS CLI's MultiTable: one section per
// object, titled with the operation name or the member it came from, scalar
// members as a header row and a value row (sorted by key), nested members as
// indented sections below. When the widest section does not fit the
// terminal, sections with a single row are turned vertical (key | value).

type styler struct{ color bool }

// The ANSI sequences colorama writes for Style.BRIGHT+Fore.BLUE,
// Style.DIM+Fore.YELLOW and Style.RESET_ALL.
const (
	ansiRow    = "\x1b[1m\x1b[34m"
	ansiIndent = "\x1b[2m\x1b[33m"
	ansiReset  = "\x1b[0m"
)

func (s styler) row(text string) string {
	if s.color {
		return ansiRow + text + ansiReset
	}
	return text
}

func (s styler) indentChar(text string) string {
	if s.color {
		return ansiIndent + text + ansiReset
	}
	return text
}

type section struct {
	title     string
	headers   []string
	rows      [][]string
	indent    int
	maxWidths []int
	numCols   int // set by the first header or row; 0 before
}

func (s *section) addHeader(h []string) {
	s.updateWidths(h)
	if s.numCols == 0 {
		s.numCols = len(h)
	}
	s.headers = h
}

// addRow fails, as the AWS CLI does, on a row whose length differs from
// the section's first row or header (a query mixing list shapes).
func (s *section) addRow(row []string) error {
	if s.numCols == 0 {
		s.numCols = len(row)
	}
	if len(row) != s.numCols {
		return fmt.Errorf("Row should have %d elements, instead it has %d", s.numCols, len(row))
	}
	s.rows = append(s.rows, row)
	s.updateWidths(row)
	return nil
}

func (s *section) updateWidths(row []string) {
	if len(s.maxWidths) == 0 {
		for _, el := range row {
			s.maxWidths = append(s.maxWidths, textLen(el))
		}
		return
	}
	for i, el := range row {
		if i < len(s.maxWidths) {
			s.maxWidths[i] = max(s.maxWidths[i], textLen(el))
		}
	}
}

// columnWidths scales the padded column widths so that they add up to
// maxWidth, rounding half to even as Python's round() does.
func (s *section) columnWidths(padding, maxWidth int) []int {
	unscaled := make([]int, len(s.maxWidths))
	sum := 0
	for i, w := range s.maxWidths {
		unscaled[i] = w + padding
		sum += unscaled[i]
	}
	if len(unscaled) == 0 {
		return unscaled
	}
	factor := float64(maxWidth) / float64(sum)
	scaled := make([]int, len(unscaled))
	total := 0
	for i, w := range unscaled {
		scaled[i] = int(math.RoundToEven(factor * float64(w)))
		total += scaled[i]
	}
	off := total - maxWidth
	for off != 0 {
		if off > 0 {
			for i := 0; i < len(scaled) && off != 0; i++ {
				scaled[i]--
				off--
			}
		} else {
			for i := len(scaled) - 1; i >= 0 && off != 0; i-- {
				scaled[i]++
				off++
			}
		}
	}
	return scaled
}

func (s *section) totalWidth(padding int, outer int) int {
	total := 0
	for _, w := range s.maxWidths {
		total += w + padding
	}
	total += 2 + 2*outer
	return max(textLen(s.title)+2+2*outer, total)
}

type multiTable struct {
	sections []*section
	current  *section
	style    styler
	termW    int
	err      error // the first row of the wrong length
}

func (t *multiTable) newSection(title string, indent int) {
	t.current = &section{title: title, indent: indent}
	t.sections = append(t.sections, t.current)
}

func (t *multiTable) maxWidth() int {
	m := 0
	for _, s := range t.sections {
		m = max(m, s.totalWidth(4, s.indent))
	}
	return m
}

func (t *multiTable) render(b *strings.Builder) {
	w := t.maxWidth()
	if w > t.termW {
		t.toVertical()
		w = t.maxWidth()
	}
	out := tableWriter{b: b, autoreset: t.style.color}
	out.write(strings.Repeat("-", w) + "\n")
	for _, s := range t.sections {
		t.renderSection(out, s, w)
	}
}

// tableWriter writes the table in the pieces the AWS CLI writes it. With
// colour on, the AWS CLI's stream (colorama with autoreset) follows every
// piece, even an empty one, with a reset sequence; the output keeps them
// so that it is the same byte for byte.
type tableWriter struct {
	b         *strings.Builder
	autoreset bool
}

func (w tableWriter) write(s string) {
	w.b.WriteString(s)
	if w.autoreset {
		w.b.WriteString(ansiReset)
	}
}

func (t *multiTable) toVertical() {
	for i, s := range t.sections {
		if len(s.rows) == 1 && len(s.headers) > 0 {
			n := &section{title: s.title, indent: s.indent}
			for j, h := range s.headers {
				if j < len(s.rows[0]) {
					_ = n.addRow([]string{h, s.rows[0][j]}) // always two columns
				}
			}
			t.sections[i] = n
		}
	}
}

// indented writes lines framed by the section's indentation bars: the
// left bars, the text, the right bars and the newline as four pieces.
type indented struct {
	w     tableWriter
	level int
	bar   string
}

func (w indented) line(text string) {
	bars := strings.Repeat(w.bar, w.level)
	w.w.write(bars)
	w.w.write(text)
	w.w.write(bars)
	w.w.write("\n")
}

func (t *multiTable) renderSection(w tableWriter, s *section, maxWidth int) {
	out := indented{w: w, level: s.indent, bar: t.style.indentChar("|")}
	maxWidth -= 2 * s.indent
	if s.title != "" {
		out.line(centerText(s.title, maxWidth, "|", "|", textLen(s.title)))
		if len(s.headers) == 0 && len(s.rows) == 0 {
			out.line("+" + strings.Repeat("-", maxWidth-2) + "+")
		}
	}
	if len(s.headers) > 0 {
		widths := s.columnWidths(4, maxWidth)
		var cur strings.Builder
		for i, h := range s.headers {
			left := ""
			if i == 0 {
				left = "|"
			}
			if i < len(widths) {
				cur.WriteString(centerText(h, widths[i], left, "|", textLen(h)))
			}
		}
		out.line(lineBreak(widths))
		out.line(cur.String())
	}
	if len(s.rows) > 0 {
		widths := s.columnWidths(4, maxWidth)
		if len(widths) == 0 {
			return
		}
		out.line(lineBreak(widths))
		for _, row := range s.rows {
			var cur strings.Builder
			for i, el := range row {
				if i >= len(widths) {
					break
				}
				left := ""
				if i == 0 {
					left = "|"
				}
				cur.WriteString(alignLeft(t.style.row(el), widths[i], left, "|", textLen(el)))
			}
			out.line(cur.String())
		}
		out.line(lineBreak(widths))
	}
}

func lineBreak(widths []int) string {
	var b strings.Builder
	for i, w := range widths {
		if i == 0 {
			b.WriteString("+" + strings.Repeat("-", max(w-2, 0)) + "+")
		} else {
			b.WriteString(strings.Repeat("-", max(w-1, 0)) + "+")
		}
	}
	return b.String()
}

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

func centerText(text string, length int, left, right string, textLength int) string {
	start := length/2 - textLength/2 - 1
	soFar := textLen(left) + start + textLength
	return left + spaces(start) + text + spaces(length-textLen(right)-soFar) + right
}

func alignLeft(text string, length int, left, right string, textLength int) string {
	padding := 0
	if length-(textLength+2+len(left)+len(right)) >= 0 {
		padding = 2
	}
	soFar := len(left) + padding + textLength
	return left + spaces(padding) + text + spaces(length-soFar-len(right)) + right
}

// textLen counts East Asian wide, fullwidth and ambiguous characters as
// two columns, as the AWS CLI does (unicodedata.east_asian_width in W, F, A).
func textLen(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
			n += 2
		default:
			n++
		}
	}
	return n
}

// writeTable builds the sections for v the way the AWS CLI's table
// formatter walks a response, and renders them.
func writeTable(b *strings.Builder, title string, v any, termWidth int, color bool) error {
	t := &multiTable{style: styler{color: color}, termW: termWidth}
	if t.build(title, v, 0, true) {
		if t.err != nil {
			return t.err
		}
		t.render(b)
	}
	return nil
}

func (t *multiTable) build(title string, v any, indent int, hasTitle bool) bool {
	if !truthy(v) {
		return false
	}
	if hasTitle {
		t.newSection(title, indent)
	}
	switch x := v.(type) {
	case []any:
		if _, ok := x[0].(*object); ok {
			t.subTableFromList(x, indent, title)
		} else {
			for _, item := range x {
				if isScalar(item) {
					t.addRow([]string{pyStr(item)})
				} else if inner, ok := item.([]any); ok && allScalar(inner) {
					row := make([]string, len(inner))
					for i, e := range inner {
						row[i] = pyStr(e)
					}
					t.addRow(row)
				} else {
					t.build("", item, 0, false)
				}
			}
		}
	case *object:
		t.subTableFromObject(x, indent)
	}
	return true
}

// addRow adds to the current section, creating an untitled one if the walk
// has not opened any yet (a list of lists at the top).
func (t *multiTable) addRow(row []string) {
	if t.current == nil {
		t.newSection("", 0)
	}
	if err := t.current.addRow(row); err != nil && t.err == nil {
		t.err = err
	}
}

func allScalar(list []any) bool {
	for _, e := range list {
		if !isScalar(e) {
			return false
		}
	}
	return true
}

func groupScalarKeys(o *object) (headers, more []string) {
	for _, k := range o.sortedKeys() {
		if isScalar(o.vals[k]) {
			headers = append(headers, k)
		} else {
			more = append(more, k)
		}
	}
	return headers, more
}

func (t *multiTable) subTableFromObject(o *object, indent int) {
	headers, more := groupScalarKeys(o)
	if len(headers) == 1 {
		t.addRow([]string{headers[0], pyStr(o.vals[headers[0]])})
	} else if len(headers) > 0 {
		if t.current == nil {
			t.newSection("", 0)
		}
		t.current.addHeader(headers)
		row := make([]string, len(headers))
		for i, h := range headers {
			row[i] = pyStr(o.vals[h])
		}
		t.addRow(row)
	}
	for _, k := range more {
		t.build(k, o.vals[k], indent+1, true)
	}
}

func (t *multiTable) subTableFromList(list []any, indent int, title string) {
	hset, mset := map[string]bool{}, map[string]bool{}
	for _, e := range list {
		if o, ok := e.(*object); ok {
			h, m := groupScalarKeys(o)
			for _, k := range h {
				hset[k] = true
			}
			for _, k := range m {
				mset[k] = true
			}
		}
	}
	headers, more := slices.Sorted(maps.Keys(hset)), slices.Sorted(maps.Keys(mset))
	if t.current == nil {
		t.newSection("", 0)
	}
	t.current.addHeader(headers)
	for i, e := range list {
		o, _ := e.(*object)
		if i > 0 && len(more) > 0 {
			t.newSection(title, indent)
			t.current.addHeader(headers)
		}
		row := make([]string, len(headers))
		for j, h := range headers {
			if o != nil {
				if v, ok := o.vals[h]; ok {
					row[j] = pyStr(v)
				}
			}
		}
		t.addRow(row)
		for _, k := range more {
			if o != nil {
				if v, ok := o.vals[k]; ok {
					t.build(k, v, indent+1, true)
				}
			}
		}
	}
}
