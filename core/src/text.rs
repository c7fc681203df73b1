//! Sentences in both UI languages. What the core says to a learner (a
//! refused command, a broken invariant) carries its English and Chinese
//! wording; the CLI prints the English, the lab shows the reader's choice.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The UI languages.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    ZhCn,
}

/// Text in both languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// English.
    pub en: String,
    /// Simplified Chinese.
    pub zh_cn: String,
}

impl Text {
    /// A text from its two wordings.
    pub fn new(en: impl Into<String>, zh_cn: impl Into<String>) -> Text {
        Text { en: en.into(), zh_cn: zh_cn.into() }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh_cn,
        }
    }
}

/// The same text in both languages (a number, a name).
impl From<String> for Text {
    fn from(s: String) -> Text {
        Text { zh_cn: s.clone(), en: s }
    }
}

/// The same text in both languages.
impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::from(s.to_string())
    }
}

/// Shows the English wording (logs, the CLI, error chains).
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}
