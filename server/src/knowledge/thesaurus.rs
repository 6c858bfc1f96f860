//! Words customers and documents use for the same thing, across the languages Replydesk speaks:
//! "book" and "reservation", "amex" and "American Express", "card" and "cartão". A question's
//! word that belongs to a group is also searched as the group's other words (counting a little
//! less than the word itself), so a question finds the passage that says it differently, and a
//! question in one language the document in another.
//!
//! Groups hold single words, lower case without accents, of the questions small businesses get
//! (bookings, payments, opening days, food, pets, parking, appointments, rentals). A word may
//! only be in one group. Inflections and typos are matched by `language::same_word`.

use std::sync::LazyLock;

use super::language::{fold, same_word};

/// The groups, one a line ("//" lines are headings); every word lower case, no accents.
const GROUPS: &str = "
// Bookings
book booking reserve reservation reservations reservar reserva reservas marcar reserver reservieren reservierung prenotare prenotazione reserveren
cancel cancellation cancelar cancelacion cancelamento annuler annulation stornieren stornierung annullare annullamento annuleren
refund refunded devolver devolucion reembolso devolveis devolvem rembourser remboursement erstattung rimborso terugbetaling
deposit sinal fianza deposito caution kaution acompte caparra aanbetaling borg
late delay tarde atraso retraso retard verspatung ritardo laat
miss missed noshow faltar falta faltas faltei ausencia absence nichterscheinen assenza
// Payments
pay payment payments pagar pago pagos pagamento pagamentos payer paiement bezahlen zahlung pagare betalen betaling
card cards credit debit tarjeta tarjetas cartao cartoes carte cartes karte kreditkarte kaart visa mastercard
amex american express
cash efectivo dinheiro numerario especes bargeld contanti contant
price prices cost costs precio precios cuesta cuestan preco precos custa custam prix coute preis kostet prezzo costa prijs kost tarifa tarifas rate rates fee fees
discount descuento desconto reduction rabatt sconto korting
student students estudiante estudiantes estudante estudantes etudiant studenten studente
voucher vouchers gift vale regalo cheque presente cadeau gutschein buono cadeaubon
// Time
open opening hours abren abierto horario horarios abrem aberto aberta horas ouvert horaires geoffnet offnungszeiten aperto orari geopend openingstijden
closed close cerrado cierran fechado fecham ferme geschlossen chiuso gesloten
monday lunes segunda lundi montag lunedi maandag
tuesday martes terca mardi dienstag martedi dinsdag
wednesday miercoles quarta mercredi mittwoch mercoledi woensdag
thursday jueves quinta jeudi donnerstag giovedi donderdag
friday viernes sexta vendredi freitag venerdi vrijdag
saturday sabado samedi samstag sabato zaterdag
sunday domingo domingos dimanche sonntag domenica zondag
holiday holidays festivo festivos feriado feriados ferie feiertag festivi feestdag
// Places and getting there
parking park aparcamiento aparcar estacionamento estacionar parque garagem stationnement parken parkplatz parcheggio parkeren
address location where direccion ubicacion morada endereco localizacao adresse indirizzo adres
wifi internet password contrasena senha palavra passe mot passwort wachtwoord
wheelchair accessible accessibility silla ruedas cadeira rodas acessivel accesible fauteuil rollstuhl barrierefrei carrozzina rolstoel
toilet toilets bathroom restroom bano aseo banho wc toilettes bagno
// People and animals
dog dogs pet pets perro perros mascota mascotas cao caes cachorro animal animais animales chien chiens hund hunde cane cani hond honden
child children kid kids baby babies nino ninos bebe crianca criancas enfant enfants kinder bambino bambini
group groups grupo grupos groupe gruppe gruppo groep
birthday cumpleanos aniversario anniversaire geburtstag compleanno verjaardag
age old edad idade anos years alter eta leeftijd
id passport identification dni pasaporte passaporte identidade documento ausweis documenti paspoort
// Food and drink
vegetarian veggie vegetariano vegetariana vegetarien vegetarisch vegetariani
vegan vegano vegana vegane
gluten celiac coeliac celiaco celiaca glutine glutenvrij
allergy allergies allergen allergens alergia alergias alergeno alergenos allergie allergene allergia
wine wines vino vinos vinho vinhos vin vins wein wijn
beer beers cerveza cervezas cerveja cervejas biere bier birra
breakfast desayuno pequeno almoco petit dejeuner fruhstuck colazione ontbijt
dessert desserts postre postres sobremesa sobremesas nachtisch dolce dolci nagerecht
fish pescado peixe poisson fisch pesce vis
meat carne carnes viande fleisch vlees
delivery deliver deliveries entrega entregas domicilio livraison livrer lieferung liefern consegna bezorging bezorgen
takeaway takeout llevar levar emporter mitnehmen asporto afhalen
terrace outside outdoor terraza esplanada terraco terrasse terrazza terras
room private sala salon privado privada privativa privee raum privat privata zaal
// Appointments and health
appointment appointments consultation visit cita consulta consultas marcacao rendez termin appuntamento afspraak
emergency emergencies urgent urgencia urgencias urgente urgence urgences notfall emergenza spoed
teeth tooth dentes dente dientes diente dents dent zahne zahn denti tanden tand
dentist dentists dentista dentistas dentiste zahnarzt tandarts
lost left forgot forgotten perdido perdida perdi olvide olvidado esqueci esquecido oublie vergessen dimenticato vergeten verloren
whitening branqueamento clareamento blanqueamiento blanchiment bleaching sbiancamento
cleaning hygiene limpeza higiene limpieza destartarizacao detartrage zahnreinigung pulizia
insurance insurer seguro seguros seguradora assurance mutuelle versicherung assicurazione verzekering
xray radiografia rx radiographie rontgen radiografie
pain hurts ache dor dolor douleur schmerzen dolore pijn
// Rentals and tours
bike bikes bicycle bicycles bici bicis bicicleta bicicletas velo fahrrad bicicletta fiets
ebike electric electrica electricas eletrica eletricas electrique elektrisch elettrica elektrische
helmet helmets casco cascos capacete casque helm caschi
seat seats sillita sillitas cadeirinha siege kindersitz seggiolino zitje
lock locks candado candados cadeado antivol schloss lucchetto slot
puncture pinchazo pinchar furo crevaison platten foratura lekke
rent rental hire alquiler alquilar aluguer aluguel alugar louer mieten noleggio huren
guide guided guia guiado guiada fuhrung guidato gids
damage damaged broken dano danos estragado avaria dommage schaden danno schade
theft stolen robo robada roubo roubada vol diebstahl furto diefstal
";

/// The groups, parsed once.
static PARSED: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    GROUPS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| l.split_whitespace().collect())
        .collect()
});

/// The other words of `word`'s group (folded), if it belongs to one.
pub fn synonyms(word: &str) -> Vec<&'static str> {
    let word = fold(word);
    PARSED
        .iter()
        .find(|group| group.iter().any(|g| same_word(&word, g)))
        .map(|group| group.iter().copied().filter(|g| *g != word).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_bridge_languages_and_wordings() {
        assert!(synonyms("booking").contains(&"reservation"));
        assert!(synonyms("Cartão").contains(&"card"));
        assert!(synonyms("cancelo").contains(&"cancel"));
        assert!(synonyms("estacionamento").contains(&"parking"));
        assert!(synonyms("amex").contains(&"american"));
        assert!(synonyms("bicycles").contains(&"bici"));
        assert!(synonyms("xyzzy").is_empty());
        // Short words need to be whole: "cat" is not "card".
        assert!(synonyms("cat").is_empty());
    }

    #[test]
    fn a_word_is_in_one_group_only() {
        let mut seen = std::collections::HashMap::new();
        for (i, group) in PARSED.iter().enumerate() {
            for word in group {
                assert_eq!(*word, fold(word), "{word} is not folded");
                if let Some(other) = seen.insert(*word, i) {
                    assert_eq!(other, i, "{word} is in two groups");
                }
            }
        }
    }
}
