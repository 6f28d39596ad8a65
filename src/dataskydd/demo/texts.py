"""Swedish texts for demo correspondence, support dialogue and usage logs.

Placeholders: {fornamn}, {avtal}, {faktura}, {ort}, {tjanst}. Every text is invented; programme
titles are made up so no real broadcaster's catalogue is implied.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataskydd.register.enums import CorrespondenceKind


@dataclass(frozen=True)
class Letter:
    kind: CorrespondenceKind
    subject_line: str
    body: str
    reply: str | None = None


_E, _L, _F = CorrespondenceKind.EMAIL, CorrespondenceKind.LETTER, CorrespondenceKind.FEEDBACK

LETTERS: tuple[Letter, ...] = (
    Letter(
        _E,
        "Fråga om faktura {faktura}",
        "Hej!\n\nJag har fått faktura {faktura} och beloppet är högre än vanligt. Kan ni förklara "
        "varför? Mitt avtalsnummer är {avtal}.\n\nMvh {fornamn}",
        "Hej {fornamn}!\n\nTack för ditt mejl. Fakturan innehåller även en delperiod för "
        "tilläggstjänsten du beställde förra månaden. Nästa faktura blir som vanligt.\n\n"
        "Vänliga hälsningar\nOmilon kundservice",
    ),
    Letter(
        _E,
        "Flytt av abonnemang",
        "Hej,\n\nVi flyttar till {ort} nästa månad. Kan jag ta med mitt abonnemang ({tjanst}) "
        "till den nya adressen?\n\nHälsningar {fornamn}",
        "Hej {fornamn}!\n\nDet går bra. Vi har registrerat flytten och skickar en bekräftelse "
        "med datum för aktivering på den nya adressen.\n\nVänliga hälsningar\nOmilon",
    ),
    Letter(
        _E,
        "Uppsägning av avtal {avtal}",
        "Hej!\n\nJag vill säga upp mitt avtal {avtal} enligt uppsägningstiden. Routern skickar "
        "jag tillbaka i returkuvertet.\n\n/{fornamn}",
        "Hej {fornamn},\n\nVi bekräftar uppsägningen. Avtalet upphör vid uppsägningstidens slut. "
        "Tack för tiden som kund!\n\nOmilon kundservice",
    ),
    Letter(
        _E,
        "Byte av betalsätt till autogiro",
        "Hej, jag vill betala mina fakturor via autogiro i stället för bankgiro. Hur gör jag?\n\n"
        "Mvh {fornamn}",
        "Hej {fornamn}! Du anmäler autogiro under Mina sidor > Fakturor. Bytet gäller från nästa "
        "faktura.\n\nVänliga hälsningar\nOmilon",
    ),
    Letter(
        _E,
        "Långsamt bredband på kvällarna",
        "Hej!\n\nSedan en vecka är {tjanst} mycket långsamt efter klockan 19. Jag har startat om "
        "routern utan att det hjälper.\n\nMvh {fornamn}",
        None,
    ),
    Letter(
        _L,
        "Begäran om registerutdrag",
        "Hej,\n\nJag vill veta vilka personuppgifter ni behandlar om mig. Skicka registerutdraget "
        "till min folkbokföringsadress.\n\nMed vänlig hälsning\n{fornamn}",
        None,
    ),
    Letter(
        _L,
        "Påminnelse om obetald faktura",
        "Hej {fornamn},\n\nVi har inte fått betalt för faktura {faktura}. Vänligen betala inom tio "
        "dagar för att undvika inkassoavgift.\n\nOmilon AB, Ekonomi",
        None,
    ),
    Letter(
        _F,
        "Beröm till teknikern",
        "Teknikern som installerade fibern i {ort} var punktlig, trevlig och förklarade allt. "
        "Fem stjärnor!",
        None,
    ),
    Letter(
        _F,
        "Missnöjd med tv-utbudet",
        "Sportkanalerna i {tjanst} hackar ofta under matcher. Det är inte värt pengarna som det "
        "är nu.",
        "Hej {fornamn}! Tack för återkopplingen. Vi har hittat ett fel i er nod i {ort} som "
        "åtgärdas denna vecka.\n\nOmilon",
    ),
    Letter(
        _F,
        "Smidig kundservice",
        "Fick hjälp direkt i chatten när routern krånglade. Bra och snabbt!",
        None,
    ),
    Letter(
        _F,
        "Förslag: fler filmer i TV-paket Plus",
        "Jag skulle gärna se fler svenska filmer i {tjanst}. I övrigt är jag nöjd.",
        None,
    ),
)


@dataclass(frozen=True)
class SupportDialogue:
    topic: str
    # Alternating inbound (customer) and outbound (Omilon) messages, customer first.
    messages: tuple[str, ...]


DIALOGUES: tuple[SupportDialogue, ...] = (
    SupportDialogue(
        "Ingen uppkoppling",
        (
            "Hej, internet fungerar inte sedan i morse. Lampan på routern lyser rött.",
            "Hej! Vi ser en störning i ditt område i {ort}. Tekniker är på plats.",
            "Nu fungerar det igen, tack!",
            "Vad bra! Vi stänger ärendet. Hör av dig om något mer dyker upp.",
        ),
    ),
    SupportDialogue(
        "Wifi når inte övervåningen",
        (
            "Wifi-signalen är svag på övervåningen. Finns det någon lösning?",
            "Hej {fornamn}! En wifi-förstärkare brukar lösa det. Vill du att vi skickar en?",
            "Ja tack.",
        ),
    ),
    SupportDialogue(
        "Tv-boxen startar om",
        (
            "Tv-boxen startar om flera gånger per kväll.",
            "Tack! Vi har skickat en ny programvara till boxen. Prova att dra ur strömmen en "
            "minut.",
            "Det verkar ha hjälpt.",
        ),
    ),
    SupportDialogue(
        "Byte av lösenord till e-post",
        (
            "Jag har glömt lösenordet till mitt e-postkonto hos er.",
            "Vi har skickat en länk för att välja nytt lösenord till ditt mobilnummer.",
        ),
    ),
    SupportDialogue(
        "Fråga om faktura",
        (
            "Varför har jag fått två fakturor samma månad?",
            "Hej {fornamn}! Den ena gäller slutavräkningen för din gamla tjänst. Du betalar "
            "båda, men den andra är lägre än vanligt.",
            "Okej, då förstår jag.",
        ),
    ),
    SupportDialogue(
        "Installation av fiber",
        (
            "När kommer teknikern för att installera fibern?",
            "Installationen är bokad nästa tisdag mellan 08 och 12.",
            "Perfekt, då är någon hemma.",
            "Bra, välkommen som fiberkund!",
        ),
    ),
)

PAGES: tuple[str, ...] = (
    "/mina-sidor",
    "/mina-sidor/fakturor",
    "/mina-sidor/avtal",
    "/mina-sidor/utrustning",
    "/tv/tabla",
    "/tv/play",
    "/bredband/hastighetstest",
    "/support/router",
    "/support/wifi",
    "/erbjudanden",
    "/kontakt",
    "/flytt",
)
DEVICE_EVENTS: tuple[str, ...] = (
    "router: omstart",
    "router: firmware uppdaterad",
    "tv-box: ny programvara",
    "ny enhet ansluten",
    "wifi-kanal bytt",
    "tv-box: viloläge",
)
CONNECTION_EVENTS: tuple[str, ...] = (
    "uppkoppling etablerad",
    "uppkoppling bruten",
    "hastighetstest",
    "dhcp-förnyelse",
)
RELATION_TITLES: tuple[str, ...] = (
    "Kontaktperson",
    "VD",
    "Ekonomiansvarig",
    "IT-ansvarig",
    "Inköpare",
)
SUPPLIER_SUFFIXES: tuple[str, ...] = (
    "Fiberentreprenad",
    "Kabel & Mark",
    "Tryckeri",
    "Kundtjänstpartner",
    "IT-drift",
    "Elinstallation",
    "Logistik",
    "Konsult",
)
