package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Table writes aligned columns for people. Rows are buffered until Flush,
// because column widths depend on every row.
type Table struct {
	tw *tabwriter.Writer
}

// NewTable returns a Table writing to w with two spaces between columns.
func NewTable(w io.Writer, header ...any) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(header) > 0 {
		t.Row(header...)
	}
	return t
}

// Row adds one row; each cell is printed with %v.
func (t *Table) Row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprint(t.tw, "\n")
}

// Flush writes the table out.
func (t *Table) Flush() error { return t.tw.Flush() }

// WriteJSON writes v as one line of JSON, the form scripts consume.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
