//! The input box: a multi-line text buffer with a cursor and the history of
//! what was sent.

/// Text being typed, with a cursor, and the history of sent inputs.
#[derive(Debug, Default, Clone)]
pub struct Composer {
    text: String,
    /// Byte offset of the cursor, always on a character boundary.
    cursor: usize,
    history: Vec<String>,
    /// Position in `history` while browsing it, with the draft put aside.
    browsing: Option<(usize, String)>,
}

impl Composer {
    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of the cursor.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Row and column (in characters) of the cursor.
    pub fn cursor_row_col(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor];
        let row = before.matches('\n').count();
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
        (row, col)
    }

    /// Replaces the text and puts the cursor at its end.
    pub fn set_text(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.text.len();
    }

    /// Types one character at the cursor.
    pub fn insert_char(&mut self, ch: char) {
        self.text.insert(self.cursor, ch);
        self.cursor += ch.len_utf8();
    }

    /// Types `text` at the cursor.
    pub fn insert_str(&mut self, text: &str) {
        self.text.insert_str(self.cursor, text);
        self.cursor += text.len();
    }

    /// Deletes the character before the cursor.
    pub fn backspace(&mut self) {
        if let Some(ch) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= ch.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    /// Deletes the character under the cursor.
    pub fn delete(&mut self) {
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    /// Deletes the word before the cursor (Ctrl-W).
    pub fn delete_word(&mut self) {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end_matches([' ', '\t']);
        let start = trimmed.rfind([' ', '\t', '\n']).map_or(0, |i| i + 1);
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Deletes from the start of the line to the cursor (Ctrl-U).
    pub fn delete_to_line_start(&mut self) {
        let start = self.line_start();
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Moves the cursor one character left.
    pub fn left(&mut self) {
        if let Some(ch) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= ch.len_utf8();
        }
    }

    /// Moves the cursor one character right.
    pub fn right(&mut self) {
        if let Some(ch) = self.text[self.cursor..].chars().next() {
            self.cursor += ch.len_utf8();
        }
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    /// Moves to the start of the line.
    pub fn home(&mut self) {
        self.cursor = self.line_start();
    }

    /// Moves to the end of the line.
    pub fn end(&mut self) {
        self.cursor = self.line_end();
    }

    /// Moves up a line; on the first line, to the previous history entry.
    pub fn up(&mut self) {
        let (row, col) = self.cursor_row_col();
        if row == 0 {
            self.history_prev();
        } else {
            self.move_to(row - 1, col);
        }
    }

    /// Moves down a line; on the last line, to the next history entry.
    pub fn down(&mut self) {
        let (row, col) = self.cursor_row_col();
        if row + 1 >= self.text.split('\n').count() {
            self.history_next();
        } else {
            self.move_to(row + 1, col);
        }
    }

    fn move_to(&mut self, row: usize, col: usize) {
        let mut offset = 0;
        for (index, line) in self.text.split('\n').enumerate() {
            if index == row {
                let within: usize = line.chars().take(col).map(char::len_utf8).sum();
                self.cursor = offset + within;
                return;
            }
            offset += line.len() + 1;
        }
    }

    fn history_prev(&mut self) {
        let next = match &self.browsing {
            Some((0, _)) => return,
            Some((index, _)) => index - 1,
            None if self.history.is_empty() => return,
            None => {
                self.browsing = Some((self.history.len(), self.text.clone()));
                self.history.len() - 1
            }
        };
        if let Some((index, _)) = &mut self.browsing {
            *index = next;
        }
        self.set_text(self.history[next].clone());
    }

    fn history_next(&mut self) {
        let Some((index, draft)) = self.browsing.take() else {
            return;
        };
        if index + 1 < self.history.len() {
            self.browsing = Some((index + 1, draft));
            self.set_text(self.history[index + 1].clone());
        } else {
            self.set_text(draft);
        }
    }

    /// Replaces the history (inputs of earlier runs, oldest first).
    pub fn set_history(&mut self, history: Vec<String>) {
        self.history = history;
        self.browsing = None;
    }

    /// Empties the box and returns what was in it, adding it to the history.
    pub fn take(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        self.cursor = 0;
        self.browsing = None;
        if !text.trim().is_empty() && self.history.last() != Some(&text) {
            self.history.push(text.clone());
        }
        text
    }

    /// Empties the box without sending.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
        self.browsing = None;
    }

    /// Whether the cursor sits right after a `\` at the end of a line (the
    /// documented way to continue on a new line with Enter).
    pub fn backslash_before_cursor(&self) -> bool {
        self.text[..self.cursor].ends_with('\\') && self.cursor == self.line_end()
    }

    /// The word the cursor is in or after (from the last space), with its
    /// start offset: what completion looks at.
    pub fn current_word(&self) -> (usize, &str) {
        let before = &self.text[..self.cursor];
        let start = before.rfind([' ', '\n', '\t']).map_or(0, |i| i + 1);
        (start, &self.text[start..self.cursor])
    }

    /// Replaces the current word with `replacement`.
    pub fn replace_current_word(&mut self, replacement: &str) {
        let (start, _) = self.current_word();
        self.text.replace_range(start..self.cursor, replacement);
        self.cursor = start + replacement.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> Composer {
        let mut composer = Composer::default();
        text.chars().for_each(|c| composer.insert_char(c));
        composer
    }

    #[test]
    fn editing_moves_the_cursor_over_characters() {
        let mut c = typed("héllo");
        c.left();
        c.left();
        c.backspace();
        assert_eq!(c.text(), "hélo");
        c.home();
        c.delete();
        assert_eq!((c.text(), c.cursor()), ("élo", 0));
        c.end();
        c.insert_str(" wörld");
        c.delete_word();
        assert_eq!(c.text(), "élo ");
    }

    #[test]
    fn up_and_down_move_between_lines_then_history() {
        let mut c = typed("first");
        assert_eq!(c.take(), "first");
        let mut second = typed("ab\ncdef");
        second.history = c.history.clone();
        second.up();
        assert_eq!(second.cursor_row_col(), (0, 2));
        second.up();
        assert_eq!(second.text(), "first");
        second.down();
        assert_eq!(second.text(), "ab\ncdef");
    }

    #[test]
    fn history_skips_repeats_and_blank_inputs() {
        let mut c = Composer::default();
        for text in ["a", "a", " ", "b"] {
            c.set_text(text);
            c.take();
        }
        assert_eq!(c.history, ["a", "b"]);
        c.up();
        c.up();
        c.up();
        assert_eq!(c.text(), "a");
        c.down();
        c.down();
        assert_eq!(c.text(), "");
    }

    #[test]
    fn backslash_and_current_word() {
        let c = typed("look at @src/ma");
        assert_eq!(c.current_word(), (8, "@src/ma"));
        assert!(typed("line\\").backslash_before_cursor());
        let mut c = typed("see @sr");
        c.replace_current_word("@src/main.rs ");
        assert_eq!(c.text(), "see @src/main.rs ");
    }
}
