//! The languages Replydesk reads and answers in: which one a text is written in, what the
//! owner's "languages we speak" names mean, and the words that say nothing about a question.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::Language as Stemming;

/// A language with a stemmer in the search index and fixed texts in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Lang {
    En,
    Es,
    Pt,
    Fr,
    De,
    It,
    Nl,
}

impl Lang {
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Es,
        Lang::Pt,
        Lang::Fr,
        Lang::De,
        Lang::It,
        Lang::Nl,
    ];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::It => "it",
            Lang::Nl => "nl",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's own name, as an owner reads it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Pt => "Português",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
            Lang::It => "Italiano",
            Lang::Nl => "Nederlands",
        }
    }

    pub fn stemming(self) -> Stemming {
        match self {
            Lang::En => Stemming::English,
            Lang::Es => Stemming::Spanish,
            Lang::Pt => Stemming::Portuguese,
            Lang::Fr => Stemming::French,
            Lang::De => Stemming::German,
            Lang::It => Stemming::Italian,
            Lang::Nl => Stemming::Dutch,
        }
    }

    fn whatlang(self) -> whatlang::Lang {
        match self {
            Lang::En => whatlang::Lang::Eng,
            Lang::Es => whatlang::Lang::Spa,
            Lang::Pt => whatlang::Lang::Por,
            Lang::Fr => whatlang::Lang::Fra,
            Lang::De => whatlang::Lang::Deu,
            Lang::It => whatlang::Lang::Ita,
            Lang::Nl => whatlang::Lang::Nld,
        }
    }

    /// What an owner may write for this language in "languages we speak": its name in
    /// English, in itself, in the other languages here, or its code ("pt-BR" included).
    pub fn from_name(name: &str) -> Option<Lang> {
        let key = fold(name.trim());
        let key = key.split(['-', '_', ' ', '(']).next().unwrap_or_default();
        let names: [(Lang, &str); 7] = [
            (Lang::En, "en eng english ingles inglesa anglais englisch inglese engels"),
            (Lang::Es, "es spa spanish espanol castellano espanhol espagnol spanisch spagnolo spaans"),
            (Lang::Pt, "pt por portuguese portugues portugais portugiesisch portoghese portugees brasileiro"),
            (Lang::Fr, "fr fra french francais frances franzosisch francese frans"),
            (Lang::De, "de deu ger german deutsch aleman alemao allemand tedesco duits"),
            (Lang::It, "it ita italian italiano italien italienisch italiaans"),
            (Lang::Nl, "nl nld dutch nederlands holandes neerlandais niederlandisch olandese flemish vlaams"),
        ];
        names
            .iter()
            .find(|(_, list)| list.split_whitespace().any(|n| n == key))
            .map(|(lang, _)| *lang)
    }

    /// Words that say nothing about what a question is about (folded).
    pub fn stopwords(self) -> &'static HashSet<&'static str> {
        &STOPWORDS[self as usize]
    }

    fn stopword_list(self) -> &'static str {
        match self {
            Lang::En => STOP_EN,
            Lang::Es => STOP_ES,
            Lang::Pt => STOP_PT,
            Lang::Fr => STOP_FR,
            Lang::De => STOP_DE,
            Lang::It => STOP_IT,
            Lang::Nl => STOP_NL,
        }
    }
}

/// Each language's stop words, as sets (built once).
static STOPWORDS: LazyLock<[HashSet<&'static str>; 7]> =
    LazyLock::new(|| Lang::ALL.map(|l| l.stopword_list().split_whitespace().collect()));

// Function words of each language (folded: no accents), the question words customers use, and
// the verbs every question has ("can", "bring", "tengo"): a passage sharing only these with a
// question is not relevant to it.
const STOP_EN: &str = "\
the and for are was you your yours what whats when where which who why how can could would \
will shall should may might does did do with have has had from that this these those there \
here about any our ours is am of to in on a an it its me my we us i be been or at by if so \
not no yes please pls plz thanks thank also just get got want need like some much many hi \
hello hey ok okay guys bring take know tell there u ur im id ill dont then than they them \
their one still let lets really possible allowed able ask anything something offer use go \
come many long happens happen think gets anyone someone would does doing done now re ve ll uses \
give mum mom dad wife husband friend friends gf bf yo guys thing things";
const STOP_ES: &str = "\
que el la los las un una unos unas por para con de del al en es y o se su sus hay como \
cuando donde cual cuales quien mi mis tu tus me te le les lo nos vosotros ustedes usted \
puedo puede pueden podemos tienen tiene tengo hola gracias porfa favor si no pero muy mas \
esta estan este esto ese eso ya quiero queria necesito saber algo alguna alguno hacer llevar \
traer son ser hay sobre cuanto cuanta cuantos cuantas vale ok buenas tambien somos soy estoy \
estamos teneis tenemos tienes podeis podemos puedes hace hacen haceis otro otra traeis traen \
algun alguien cosa cosas";
const STOP_PT: &str = "\
que o a os as um uma uns umas por para pra com de do da dos das no na nos nas em e ou se seu \
sua seus suas como quando onde qual quais quem meu minha voce voces vcs vc posso pode podem \
podemos tem tens teem ter ola oi obrigado obrigada favor sim nao mas muito mais esta estao \
este isto esse isso ja quero queria preciso saber algo alguma algum fazer levar trazer sao \
ser sobre quanto quanta quantos quantas eu ao aos tambem ai la tenho temos somos sou estou \
estamos num numa coisa coisas tempo fazem faz fazer alguem outro outra";
const STOP_FR: &str = "\
le la les un une des du de et ou est sont vous nous je il elle pour avec dans sur que qui \
quoi quand comment combien est-ce ce cet cette mon ma mes votre vos pas ne oui non merci \
bonjour puis peut pouvez avez avoir faire au aux se si";
const STOP_DE: &str = "\
und die der das den dem des ein eine einen ist sind ich sie wir ihr mit fur zu auf oder was \
wie wann wo wer kann konnen haben hat habe mein meine ihre nicht kein ja nein danke bitte \
hallo es im in an am von vom bei gibt";
const STOP_IT: &str = "\
il lo la i gli le un uno una di del della e o che chi come quando dove quanto per con su in \
sono posso potete avete ho mio mia vostro non si grazie ciao buongiorno al alla ai";
const STOP_NL: &str = "\
de het een en of is zijn ik jij je u wij we met voor op in aan van wat wie waar wanneer hoe \
kan kunnen mag heb hebt heeft hebben mijn jullie niet geen ja nee dank bedankt hallo er";

/// Lower case without accents: how words are compared ("Cancelación" → "cancelacion").
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ß' => 's',
            other => other,
        });
    }
    out
}

/// The words of `text` in lower case (accents kept: stemmers need them), split at anything
/// that is not a letter or digit.
pub fn tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `word` says nothing in any of `langs` (all languages when empty).
pub fn is_stopword(word: &str, langs: &[Lang]) -> bool {
    let all = Lang::ALL;
    let langs = if langs.is_empty() { &all[..] } else { langs };
    let folded = fold(word);
    folded.chars().count() < 2
        || langs
            .iter()
            .any(|l| l.stopwords().contains(&folded.as_str()))
}

/// What customers write short: "ppl", "appt", "q" (que), "tb" (também).
const SHORTHAND: &[(&str, &str)] = &[
    ("ppl", "people"),
    ("pax", "people"),
    ("appt", "appointment"),
    ("appts", "appointments"),
    ("hrs", "hours"),
    ("hr", "hour"),
    ("mins", "minutes"),
    ("min", "minimum"),
    ("wknd", "weekend"),
    ("bday", "birthday"),
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("tonite", "tonight"),
    ("yrs", "years"),
    ("info", "information"),
    ("hj", "hoje"),
    ("amanha", "amanhã"),
    ("finde", "fin de semana"),
    ("cumple", "cumpleaños"),
];

/// The words of `text` that carry its meaning (lower case, no stop words of `langs`),
/// shorthand written out.
pub fn content_words(text: &str, langs: &[Lang]) -> Vec<String> {
    tokens(text)
        .into_iter()
        .flat_map(|w| match SHORTHAND.iter().find(|(short, _)| *short == w) {
            Some((_, long)) => long.split(' ').map(str::to_owned).collect(),
            None => vec![w],
        })
        .filter(|w| !is_stopword(w, langs))
        .collect()
}

/// Whether `a` and `b` are at most one edit apart (a transposition is one edit).
pub fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    if ra.is_empty() && rb.is_empty() {
        return true;
    }
    let suffix = |x: &[char], y: &[char]| x == y;
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            suffix(&ra[1..], &rb[1..])
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && suffix(&ra[2..], &rb[2..]))
        }
        std::cmp::Ordering::Greater => suffix(&ra[1..], rb),
        std::cmp::Ordering::Less => suffix(ra, &rb[1..]),
    }
}

/// Whether two folded words match: the same, one typo apart, or the same word with another
/// ending ("deliver" / "delivery", "cartão" / "cartões", "dog" / "dogs").
pub fn same_word(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let (short, long) = (la.min(lb), la.max(lb));
    if short < 3 || a.chars().all(|c| c.is_ascii_digit()) || b.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let longer = if la > lb { a } else { b };
    let ending: String = longer.chars().skip(short).collect();
    // A short word only takes a plural ending: "dog" / "dogs", not "car" / "card".
    (prefix >= 4 && prefix + 2 >= short)
        || (prefix == short && (ending == "s" || ending == "es" || (short >= 5 && long - short <= 2)))
        // A typo, in words long enough that one letter does not make another word
        // ("fish" / "dish").
        || (short >= 4 && long >= 5 && one_edit(a, b))
}

/// The language `text` is written in, among `among` (every language here when empty). A short
/// message is judged by its function words first ("vocês", "¿", "the"), where trigram models
/// are unsure; a longer text by whatlang's trigram model.
pub fn detect(text: &str, among: &[Lang]) -> Option<Lang> {
    let all = Lang::ALL;
    let among = if among.is_empty() { &all[..] } else { among };
    if among.len() == 1 {
        return Some(among[0]);
    }
    let words = tokens(text);
    if words.is_empty() {
        return None;
    }
    // Function words: each word votes for the languages whose stop word it is, the vote split
    // between them; a word unique to one language counts fully.
    let mut votes = [0.0f32; 7];
    for word in words.iter().map(|w| fold(w)) {
        let owners: Vec<usize> = among
            .iter()
            .filter(|l| l.stopwords().contains(&word.as_str()))
            .map(|l| *l as usize)
            .collect();
        for &o in &owners {
            votes[o] += 1.0 / owners.len() as f32;
        }
    }
    if text.contains(['¿', '¡', 'ñ']) && among.contains(&Lang::Es) {
        votes[Lang::Es as usize] += 2.0;
    }
    if text.contains(['ã', 'õ', 'ç']) && among.contains(&Lang::Pt) {
        votes[Lang::Pt as usize] += 1.5;
    }
    let mut ranked: Vec<(Lang, f32)> = among.iter().map(|l| (*l, votes[*l as usize])).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let by_words = (ranked[0].1 >= 1.0 && ranked[0].1 >= ranked[1].1 + 1.0).then_some(ranked[0].0);
    if words.len() < 12 && by_words.is_some() {
        return by_words;
    }
    let detector = whatlang::Detector::with_allowlist(among.iter().map(|l| l.whatlang()).collect());
    let sample: String = text.chars().take(4000).collect();
    match detector.detect(&sample) {
        Some(info) if words.len() >= 12 || info.confidence() >= 0.5 => {
            among.iter().copied().find(|l| l.whatlang() == info.lang())
        }
        _ => by_words,
    }
}

/// The language of a passage of a document written in `document`: another language only when
/// its function words say so clearly (a Portuguese section in an English menu). Function words
/// alone, no trigram model: this runs for every passage of every document.
pub fn passage_language(text: &str, document: Lang) -> Lang {
    let mut votes = [0u32; 7];
    for word in tokens(text).iter().take(200).map(|w| fold(w)) {
        for lang in Lang::ALL {
            if lang.stopwords().contains(word.as_str()) {
                votes[lang as usize] += 1;
            }
        }
    }
    let (best, count) = Lang::ALL
        .iter()
        .map(|l| (*l, votes[*l as usize]))
        .max_by_key(|(_, v)| *v)
        .unwrap_or((document, 0));
    if best != document && count >= 4 && count >= 2 * votes[document as usize] {
        best
    } else {
        document
    }
}

/// The languages the business speaks, from the owner's free-text list ("English, Português");
/// names not understood here are left out.
pub fn from_names(names: &[String]) -> Vec<Lang> {
    let mut out: Vec<Lang> = Vec::new();
    for lang in names.iter().filter_map(|n| Lang::from_name(n)) {
        if !out.contains(&lang) {
            out.push(lang);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_across_endings_and_typos() {
        assert!(same_word("cartao", "cartoes"));
        assert!(same_word("dog", "dogs"));
        assert!(same_word("deliver", "delivery"));
        assert!(same_word("resevation", "reservation"));
        assert!(!same_word("10", "100"));
        assert!(!same_word("car", "card"));
        assert!(!same_word("fish", "dish"));
    }

    #[test]
    fn one_edit_apart() {
        assert!(one_edit("dgo", "dog"));
        assert!(one_edit("resevation", "reservation"));
        assert!(one_edit("parking", "parkin"));
        assert!(one_edit("cartao", "cartas"));
        assert!(!one_edit("deposit", "depot"));
        assert!(one_edit("same", "same"));
    }

    #[test]
    fn owners_name_languages_in_many_ways() {
        let names: Vec<String> = [
            "English",
            "Português (Brasil)",
            "castellano",
            "pt-BR",
            "Klingon",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(from_names(&names), [Lang::En, Lang::Pt, Lang::Es]);
        assert_eq!(Lang::from_name("Deutsch"), Some(Lang::De));
        assert_eq!(Lang::from_name("FRANÇAIS"), Some(Lang::Fr));
    }

    #[test]
    fn short_messages_are_told_apart() {
        let all: &[Lang] = &[];
        assert_eq!(detect("Vocês aceitam cartão?", all), Some(Lang::Pt));
        assert_eq!(
            detect("voces aceitam cartao", &[Lang::En, Lang::Pt]),
            Some(Lang::Pt)
        );
        assert_eq!(detect("¿Aceptan tarjeta?", all), Some(Lang::Es));
        assert_eq!(detect("Can I bring my dog?", all), Some(Lang::En));
        assert_eq!(
            detect("cuanto cuesta la bici electrica por dia", all),
            Some(Lang::Es)
        );
        assert_eq!(detect("Hola 👋", &[Lang::En, Lang::Es]), Some(Lang::Es));
        assert_eq!(detect("👋", all), None);
        assert_eq!(detect("anything", &[Lang::Pt]), Some(Lang::Pt));
    }

    #[test]
    fn a_passage_keeps_its_documents_language_unless_clearly_another() {
        let pt = "Aceitamos cartões Visa e Mastercard, bem como MB Way. Não aceitamos American Express nem cheques, e o talão fica com o cliente.";
        assert_eq!(passage_language(pt, Lang::En), Lang::Pt);
        assert_eq!(
            passage_language("Dish: Bacalhau à Brás | Price: €14", Lang::En),
            Lang::En
        );
    }

    #[test]
    fn documents_are_told_apart() {
        let pt = "Aceitamos cartões Visa e Mastercard, bem como MB Way. Não aceitamos American Express nem cheques. O restaurante está aberto de terça a domingo.";
        let en = "Dogs are welcome on the terrace at Cais do Sodré, but not inside either restaurant. There is no private parking nearby.";
        assert_eq!(detect(pt, &[]), Some(Lang::Pt));
        assert_eq!(detect(en, &[]), Some(Lang::En));
    }

    #[test]
    fn meaning_words_leave_out_function_words() {
        assert_eq!(
            content_words("Can I pay with Bitcoin?", &[]),
            ["pay", "bitcoin"]
        );
        assert_eq!(
            content_words("¿Cuándo abren los domingos?", &[]),
            ["abren", "domingos"]
        );
        assert_eq!(
            content_words("Vocês aceitam cartão?", &[]),
            ["aceitam", "cartão"]
        );
        assert!(content_words("Do you? Is it?", &[]).is_empty());
    }
}
