//! The bot's fixed texts in the customer's language. The owner's own wording always wins: a
//! text is translated only while it is still Replydesk's default (English), since nobody can
//! translate what the owner wrote without a model.

use app::model::AiBehaviour;

use crate::knowledge::language::Lang;

/// A fixed text the bot sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    Handoff,
    Intro,
    OptOut,
    OptIn,
    Decline,
    /// The answer to "hi" without a model.
    Greeting,
    /// The answer to "thanks" without a model.
    Thanks,
}

impl Phrase {
    /// The owner's setting for this text, if it is one.
    fn setting(self, b: &AiBehaviour) -> Option<&str> {
        Some(match self {
            Phrase::Handoff => &b.handoff_message,
            Phrase::Intro => &b.extractive_intro,
            Phrase::OptOut => &b.opt_out_reply,
            Phrase::OptIn => &b.opt_in_reply,
            Phrase::Decline => &b.decline_message,
            Phrase::Greeting | Phrase::Thanks => return None,
        })
    }

    fn default_setting(self) -> Option<String> {
        self.setting(&AiBehaviour::default()).map(str::to_owned)
    }

    /// The text in `lang`.
    fn translated(self, lang: Lang) -> &'static str {
        use Lang::*;
        use Phrase::*;
        match (self, lang) {
            (Handoff, En) => "Thanks for your patience. A member of our team will reply to you here shortly.",
            (Handoff, Es) => "Gracias por tu paciencia. Una persona de nuestro equipo te responderá por aquí en breve.",
            (Handoff, Pt) => "Obrigado pela paciência. Alguém da nossa equipa vai responder-lhe aqui em breve.",
            (Handoff, Fr) => "Merci de votre patience. Un membre de notre équipe vous répondra ici très vite.",
            (Handoff, De) => "Danke für Ihre Geduld. Jemand aus unserem Team antwortet Ihnen hier in Kürze.",
            (Handoff, It) => "Grazie per la pazienza. Una persona del nostro team ti risponderà qui a breve.",
            (Handoff, Nl) => "Bedankt voor je geduld. Iemand van ons team antwoordt je hier zo snel mogelijk.",
            (Intro, En) => "Here is what I found for you:",
            (Intro, Es) => "Esto es lo que he encontrado:",
            (Intro, Pt) => "Foi isto que encontrei:",
            (Intro, Fr) => "Voici ce que j'ai trouvé :",
            (Intro, De) => "Das habe ich für Sie gefunden:",
            (Intro, It) => "Ecco cosa ho trovato:",
            (Intro, Nl) => "Dit heb ik voor je gevonden:",
            (OptOut, En) => "You will not receive any more messages from us. Write START to receive messages again.",
            (OptOut, Es) => "No recibirás más mensajes nuestros. Escribe START para volver a recibirlos.",
            (OptOut, Pt) => "Não vai receber mais mensagens nossas. Escreva START para voltar a recebê-las.",
            (OptOut, Fr) => "Vous ne recevrez plus de messages de notre part. Écrivez START pour en recevoir à nouveau.",
            (OptOut, De) => "Sie erhalten keine Nachrichten mehr von uns. Schreiben Sie START, um wieder Nachrichten zu erhalten.",
            (OptOut, It) => "Non riceverai più messaggi da noi. Scrivi START per riceverli di nuovo.",
            (OptOut, Nl) => "Je ontvangt geen berichten meer van ons. Stuur START om weer berichten te ontvangen.",
            (OptIn, En) => "Welcome back! You will receive our replies again.",
            (OptIn, Es) => "¡Bienvenido de nuevo! Volverás a recibir nuestras respuestas.",
            (OptIn, Pt) => "Bem-vindo de volta! Vai voltar a receber as nossas respostas.",
            (OptIn, Fr) => "Bon retour ! Vous recevrez à nouveau nos réponses.",
            (OptIn, De) => "Willkommen zurück! Sie erhalten wieder unsere Antworten.",
            (OptIn, It) => "Bentornato! Riceverai di nuovo le nostre risposte.",
            (OptIn, Nl) => "Welkom terug! Je ontvangt weer onze antwoorden.",
            (Decline, En) => "Sorry, I can't help with that topic here.",
            (Decline, Es) => "Lo siento, no puedo ayudarte con ese tema por aquí.",
            (Decline, Pt) => "Lamento, não posso ajudar com esse assunto por aqui.",
            (Decline, Fr) => "Désolé, je ne peux pas vous aider sur ce sujet ici.",
            (Decline, De) => "Entschuldigung, bei diesem Thema kann ich hier nicht helfen.",
            (Decline, It) => "Mi dispiace, non posso aiutarti su questo argomento qui.",
            (Decline, Nl) => "Sorry, met dat onderwerp kan ik je hier niet helpen.",
            (Greeting, En) => "Hello! How can I help you?",
            (Greeting, Es) => "¡Hola! ¿En qué puedo ayudarte?",
            (Greeting, Pt) => "Olá! Em que posso ajudar?",
            (Greeting, Fr) => "Bonjour ! Comment puis-je vous aider ?",
            (Greeting, De) => "Hallo! Wie kann ich Ihnen helfen?",
            (Greeting, It) => "Ciao! Come posso aiutarti?",
            (Greeting, Nl) => "Hallo! Waarmee kan ik je helpen?",
            (Thanks, En) => "You're welcome! Anything else I can help with?",
            (Thanks, Es) => "¡De nada! ¿Puedo ayudarte en algo más?",
            (Thanks, Pt) => "De nada! Posso ajudar em mais alguma coisa?",
            (Thanks, Fr) => "Avec plaisir ! Puis-je vous aider pour autre chose ?",
            (Thanks, De) => "Gern geschehen! Kann ich sonst noch helfen?",
            (Thanks, It) => "Prego! Posso aiutarti in altro?",
            (Thanks, Nl) => "Graag gedaan! Kan ik je nog ergens mee helpen?",
        }
    }
}

/// `phrase` for a customer writing in `lang`: the owner's wording if they changed it, else
/// Replydesk's in `lang`.
pub fn say(phrase: Phrase, behaviour: &AiBehaviour, lang: Lang) -> String {
    match phrase.setting(behaviour) {
        Some(own) if Some(own.trim()) != phrase.default_setting().as_deref().map(str::trim) => {
            own.to_owned()
        }
        _ => phrase.translated(lang).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_customer_and_the_owners_words_stay() {
        let b = AiBehaviour::default();
        for phrase in [
            Phrase::Handoff,
            Phrase::Intro,
            Phrase::OptOut,
            Phrase::OptIn,
            Phrase::Decline,
        ] {
            // The English translation is the default setting itself.
            assert_eq!(
                say(phrase, &b, Lang::En),
                phrase.default_setting().expect("a setting")
            );
        }
        assert!(say(Phrase::Handoff, &b, Lang::Pt).starts_with("Obrigado"));
        assert!(say(Phrase::Greeting, &b, Lang::Es).starts_with("¡Hola!"));
        let own = AiBehaviour {
            handoff_message: "Um momento, por favor.".into(),
            ..AiBehaviour::default()
        };
        assert_eq!(
            say(Phrase::Handoff, &own, Lang::Es),
            "Um momento, por favor."
        );
    }
}
