//! Announcements written as labelled fields rather than a sentence: a "When: / Where: /
//! RSVP:" list or paragraph, or a table with those words as its head row or first column.

use super::blocks::{Block, Kind};
use super::vocabulary::{RSVP_LABELS_FIELD, TIME_LABELS, WHAT_LABELS, WHEN_LABELS, WHERE_LABELS};

/// What a field gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// The date (and maybe the time).
    When,
    /// The time alone.
    Time,
    /// The venue.
    Where,
    /// The RSVP link.
    Rsvp,
    /// What it is about.
    What,
}

/// One labelled value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// What it gives.
    pub label: Label,
    /// Index of its block.
    pub block: usize,
    /// Byte range of its value in the block's text.
    pub value: (usize, usize),
    /// Byte range of the whole line or cell it was written on (the label included).
    pub line: (usize, usize),
}

/// The label a text is ("When", "Venue:", "**RSVP**"), if any.
pub fn label_of(text: &str) -> Option<Label> {
    let key = text.trim().trim_end_matches(':').trim().to_lowercase();
    let lists: [(&[&str], Label); 5] = [
        (&WHEN_LABELS, Label::When),
        (&TIME_LABELS, Label::Time),
        (&WHERE_LABELS, Label::Where),
        (&RSVP_LABELS_FIELD, Label::Rsvp),
        (&WHAT_LABELS, Label::What),
    ];
    lists
        .iter()
        .find(|(words, _)| words.contains(&key.as_str()))
        .map(|(_, label)| *label)
}

/// The fields of block `i`: "Label: value" lines, or a table row's labelled cells.
pub fn fields(blocks: &[Block], i: usize) -> Vec<Field> {
    let Some(block) = blocks.get(i) else {
        return Vec::new();
    };
    match block.kind {
        Kind::TableRow { header: true, .. } => Vec::new(),
        Kind::TableRow { table, .. } => row_fields(blocks, i, table),
        _ => line_fields(block, i),
    }
}

/// "When: Thursday 9 April" lines.
fn line_fields(block: &Block, i: usize) -> Vec<Field> {
    block
        .lines()
        .into_iter()
        .filter_map(|(start, end)| {
            let line = &block.text[start..end];
            let colon = line.find(':').filter(|&c| c <= 20)?;
            let label = label_of(&line[..colon])?;
            let value_start = start + colon + 1;
            let pad = block.text[value_start..end].len()
                - block.text[value_start..end].trim_start().len();
            Some(Field {
                label,
                block: i,
                value: (value_start + pad, end),
                line: (start, end),
            })
        })
        .collect()
}

/// A table row's fields: under a head row of labels, each cell is its column's; else a row
/// whose first cell is a label gives its second.
fn row_fields(blocks: &[Block], i: usize, table: usize) -> Vec<Field> {
    let row = &blocks[i];
    let head = blocks[..i].iter().rev().take(64).find(|b| {
        b.kind
            == Kind::TableRow {
                table,
                header: true,
            }
    });
    let by_column: Vec<Field> = head
        .map(|h| {
            (0..h.cells.len())
                .filter_map(|c| {
                    let label = label_of(h.cell(c)?)?;
                    let &cell = row.cells.get(c)?;
                    Some(Field {
                        label,
                        block: i,
                        value: cell,
                        line: cell,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if !by_column.is_empty() {
        return by_column;
    }
    let (Some(label), Some(&value)) = (row.cell(0).and_then(label_of), row.cells.get(1)) else {
        return Vec::new();
    };
    vec![Field {
        label,
        block: i,
        value,
        line: (0, row.text.len()),
    }]
}

#[cfg(test)]
mod tests {
    use super::super::blocks::parse;
    use super::*;

    fn values(body: &str) -> Vec<(Label, String)> {
        let blocks = parse(body);
        (0..blocks.len())
            .flat_map(|i| fields(&blocks, i))
            .map(|f| {
                (
                    f.label,
                    blocks[f.block].text[f.value.0..f.value.1].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn lists_paragraphs_and_tables_of_fields() {
        let want = vec![
            (Label::When, "Thursday 9 April, 18:30".to_owned()),
            (Label::Where, "Example Hall".to_owned()),
            (Label::Rsvp, "https://e.example.org/9".to_owned()),
        ];
        assert_eq!(
            values("- **When:** Thursday 9 April, 18:30\n- Where: Example Hall\n- RSVP: https://e.example.org/9\n"),
            want
        );
        assert_eq!(
            values("When: Thursday 9 April, 18:30\nWhere: Example Hall\nRSVP: https://e.example.org/9\n"),
            want
        );
        assert_eq!(
            values("| When | Where | RSVP |\n|---|---|---|\n| Thursday 9 April, 18:30 | Example Hall | https://e.example.org/9 |\n"),
            want
        );
        assert_eq!(
            values("| | |\n|---|---|\n| When | Thursday 9 April, 18:30 |\n| Where | Example Hall |\n| RSVP | https://e.example.org/9 |\n"),
            want
        );
        assert_eq!(
            values("Note: nothing here.\n\n| Talk | Speaker |\n|--|--|\n| A | B |\n"),
            []
        );
    }
}
