//! What any text typed by a person must be before it is stored: free of control
//! characters (a NUL is refused by PostgreSQL and stored as is by SQLite), in one Unicode
//! form (NFC: "é" typed two ways is one name), and, for names and bodies, made of
//! something a reader can see: a name of zero-width spaces would be an invisible author.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The first control character in `s`, if any. Line breaks and tabs are text, not control.
pub fn control_character(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// What a field error says of a control character.
pub fn control_message(c: char) -> String {
    format!("contains a control character (U+{:04X}); remove it", u32::from(c))
}

/// The same text in Unicode's composed form (NFC).
pub fn normalized(s: &str) -> String {
    // Nearly all text already is: the quick check spares composing it char by char (a
    // tenth of a big import's time went there).
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => s.to_owned(),
        IsNormalized::No | IsNormalized::Maybe => s.nfc().collect(),
    }
}

/// Characters that take no room and show no mark: zero-width spaces and joiners, bidi
/// controls, the soft hyphen, the byte order mark, fillers that render as blanks.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_direction_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Marks that reorder the text around them (Trojan Source, "moc.elgoog"-style names).
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True when a reader would see at least one character of `s`.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_invisible(c))
}

/// A name as shown beside what its owner wrote: composed, trimmed, without direction
/// controls (a name must not reorder the page around it). Empty if nothing visible is left.
pub fn clean_name(name: &str) -> String {
    let name: String = normalized(name.trim()).chars().filter(|c| !is_direction_control(*c)).collect();
    if has_visible(&name) { name.trim().to_owned() } else { String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_but_not_line_breaks() {
        assert_eq!(control_character("a\u{0}b"), Some('\u{0}'));
        assert_eq!(control_character("bell\u{7}"), Some('\u{7}'));
        assert_eq!(control_character("two\r\nlines\tand a tab"), None);
    }

    #[test]
    fn composes_what_was_typed_decomposed() {
        assert_eq!(normalized("Jose\u{301}"), "José");
        assert_eq!(clean_name("  Jose\u{301} "), "José");
        // Hangul typed as separate jamo; text already composed is kept as it is.
        assert_eq!(normalized("\u{1100}\u{1161}"), "\u{AC00}");
        assert_eq!(normalized("Ёлка, مرحبا, 東京 👍"), "Ёлка, مرحبا, 東京 👍");
    }

    #[test]
    fn invisible_names_and_bodies_are_empty() {
        assert!(!has_visible("\u{200B}\u{200B}\u{FEFF}"));
        assert!(!has_visible("\u{202E}\u{2066}\u{200D} \u{3164}"));
        assert_eq!(clean_name("\u{202E}\u{200B}"), "");
        assert!(has_visible("\u{200B}a"));
        // Persian needs the zero-width non-joiner; it stays.
        assert_eq!(clean_name("می\u{200C}خواهم"), "می\u{200C}خواهم");
        assert_eq!(clean_name("\u{202E}elgoog"), "elgoog");
    }
}
