"""Language data for the wikitext parser: namespace prefixes, interwiki codes, template classes.

Pure data plus five small pure helpers (:func:`normalize_template_name`, :func:`is_magic_word`,
:func:`inline_renderer`, :func:`classify_template`, :func:`canonical_citation_parameter`); no I/O
and no imports from the rest of wikipact.

Every name is stored lower-cased and case-folded (both spellings, so that the Greek final sigma
"ς" -> "σ" and the German "ß" -> "ss" match whichever of ``str.lower`` / ``str.casefold`` the
caller used), with spaces as word separators. Look template names up through
:func:`normalize_template_name` (or just call :func:`classify_template`).

Where the lists come from
=========================

1. **The corpus** (``../shared/corpus`` beside the checkout): the ``<siteinfo>`` of every dump there (20 assembled
   dumps plus the originals: aawiki, bgwiki, dewiktionary, frwiktionary ...) gives the local name
   of the File (6), Media (-2), Template (10) and Category (14) namespaces of 24 wikis; all of them
   are here, and ``tests/wikitext/test_langdata.py`` checks those of the 20 assembled dumps. The
   template
   tables were built by counting every ``{{name`` in the namespace-0, non-redirect pages of the
   assembled dumps and classifying the frequent names by looking at how they are used (the
   tables below mark names "seen in the corpus" only when they were).
2. **General knowledge** of MediaWiki's localisation (the ``$namespaceNames`` /
   ``$namespaceAliases`` of ``languages/messages/Messages*.php``, and Wikimedia's extra namespace
   aliases such as "Image" and "Bild") and of the big Wikipedias' citation, hatnote, maintenance
   and infobox templates. Only a sample was checked against a stored copy of those files (e.g.
   the zh-hans aliases 图像 and 分类), nothing against a live wiki: treat a name that is not in
   the corpus as very likely, not as verified.
3. The open-source parser ``wtf_wikipedia`` (MIT) keeps similar lists (``src/_data``:
   disambiguation templates, stub names, infobox prefixes); a few names were cross-checked
   against it. Some of its entries are doubtful (e.g. the Hebrew word for "template" as an
   infobox prefix, "z" as a disambiguation template), so nothing was copied wholesale.

Limits
------

* A template name alone does not always say what a template does. Wikis name their navboxes
  after their topic ("{{Рада Європи}}", "{{महाभारत}}"), so no table can list them all; the
  parser should also treat a parameterless template standing alone on a line after the last
  paragraph as navigation. Country-code templates ("{{USA}}", "{{GER}}") are recognised by
  pattern and may, rarely, shadow an unrelated three-letter template.
* A few names mean different things on different wikis ("citation" is a CS1 citation on enwiki
  and a quotation on frwiki; "s" is "nowrap" on ru/uk and a stub marker on itwiki). Pass
  ``lang=`` to :func:`classify_template` / :func:`inline_renderer` to get the per-wiki meaning
  (:data:`LANGUAGE_TEMPLATE_CLASSES`, :data:`LANGUAGE_INLINE_ALIASES`).
* Wikimedia Enterprise's ``maintenance_tags``: in the corpus's Enterprise JSON files they are
  filled for enwiki only (Angela Merkel: ``update_count`` 2 for two ``{{Update after}}``), and
  are empty for the frwiki articles that do use ``{{Référence nécessaire}}``/``{{Refnec}}``; so
  Enterprise appears to count English templates only. :data:`MAINTENANCE_TEMPLATES` maps the
  same four issues in other languages, inline tags and the article/section banners for the
  same issue (e.g. "Belege fehlen", "Немає джерел") alike.

Corpus evidence: the 15 most used template names per wiki
==========================================================

Namespace-0 non-redirect pages of ``assembled/sample-<wiki>-pages-articles-multistream.xml.bz2``;
every ``{{name`` at any depth (comments, ``<nowiki>``, ``<math>``, ``<pre>`` ... removed),
normalised with :func:`normalize_template_name` (so the Greek final sigma shows as "σ"); magic
words and parser functions (``{{DEFAULTSORT:}}``, ``{{#expr:}}``, ``{{formatnum:}}``, ``{{!}}``)
left out; "-> class" is :func:`classify_template` with the wiki's ``lang``.

======  =====  =============  ==========================
wiki    pages  template uses  classified by some table
======  =====  =============  ==========================
dewiki     14            298  99.7 %
frwiki      3            729  99.9 %
jawiki    189         17,340  97.7 %
ukwiki    512         12,108  96.6 %
elwiki    524          9,361  97.9 %
mrwiki    949          5,775  97.4 %
======  =====  =============  ==========================

(The dewiki and frwiki samples are small. Some names are in the tables because they were seen
in these samples, e.g. dewiki's country-name flag templates and ukwiki's encyclopedia citation
templates; the share on other articles of the same wikis will be lower, mostly because of
topic navboxes.)

dewiki: literatur 34 -> citation, lang 33 -> inline, internetquelle 29 -> citation,
zitat 23 -> inline, webarchiv 14 -> citation, zahlexp 10 -> inline,
infobox chemisches element/isotop 9 -> infobox, google buch 7 -> citation,
normdaten 6 -> navigation, commonscat 6 -> navigation, gallica 5 -> citation,
personendaten 4 -> drop, siehe auch 4 -> hatnote, wiktionary 4 -> navigation, ipa 3 -> inline.

frwiki: lien web 101 -> citation, "," 67 -> inline, date 61 -> inline, ouvrage 46 -> citation,
isbn 45 -> inline, date- 39 -> inline, article détaillé 27 -> hatnote, citation 25 -> inline
(a quotation on frwiki), numéro 21 -> inline, article 20 -> citation, s- 18 -> inline,
p. 15 -> inline, lire en ligne 15 -> citation, en 13 -> inline, nobr 13 -> inline.

jawiki: cite web 1052 -> citation, main 882 -> hatnote, sfn 659 -> inline, lang 641 -> inline,
仮リンク 631 -> inline, 自治体人口/北海道 571 -> drop, flagicon 463 -> drop,
cite book 428 -> citation, ipa 411 -> inline, display none 410 -> drop,
自治体人口/福島県 311 -> drop, 都市圏 281 -> drop, cite news 272 -> citation, legend 252 -> drop,
see also 222 -> hatnote.

ukwiki: cite web 1116 -> citation, webarchive 1074 -> citation, nts 857 -> inline,
main 852 -> hatnote, "•" 646 -> inline, lang-cu2 519 -> inline, comment 396 -> inline,
навігація для року 341 -> navigation, значення 339 -> hatnote,
рік в інших календарях 339 -> drop, прапорець 285 -> drop, ref-ru 200 -> drop,
lang-en 185 -> inline, cite book 179 -> citation, ref-en 174 -> drop.

elwiki: cite web 1675 -> citation, cite book 620 -> citation, nowrap 437 -> inline,
flagicon 346 -> drop, flagdeco 326 -> drop, κύριο 255 -> hatnote, cite news 239 -> citation,
webarchive 210 -> citation, έτοσ 188 -> navigation, έτοσ σε άλλα ημερολόγια 188 -> drop,
κατάλογοσ θανάτων 188 -> hatnote, πηγέσ 186 -> maintenance, κατάλογοσ γεννήσεων 176 -> hatnote,
commonscat 166 -> navigation, βικιλεξικό 139 -> navigation.

mrwiki: संकेतस्थळ स्रोत 746 -> citation, स्रोत पुस्तक 582 -> citation, संदर्भ हवा 286 -> maintenance,
भारताची राष्ट्रीय दिनदर्शिका दिवस 252 -> navigation, विस्तार 214 -> stub,
संदर्भयादी 147 -> navigation, स्रोत बातमी 145 -> citation, webarchive 139 -> citation,
जर्नल स्रोत 127 -> citation, sfn 115 -> inline, ग्रेगरियन महिने 113 -> navigation,
ग्रेगरी दिनदर्शिका दिवस 111 -> navigation, बीबीसी आज 111 -> drop, nts 111 -> inline,
cite web 83 -> citation.

What is still unclassified is nearly all topic navboxes ("{{Κλασική μηχανική}}", "{{पुणे}}",
"{{Герої Соціалістичної Праці}}"); ``tests/wikitext/test_langdata.py`` prints the current
figures and the 20 most used unclassified names per wiki (``pytest -s``).

Classes
-------

``classify_template`` answers one of: "infobox" (structured data, not text), "citation"
(reference metadata, see :data:`CITATION_PARAMETERS`), "maintenance" (counted, not text),
"span" (a maintenance tag around a passage, see :data:`SPAN_TEMPLATES`: the passage is text),
"hatnote", "navigation" (navboxes, sidebars, banners, portals, authority control, sister-project
boxes, reference-list wrappers), "inline" (rendered into the text by the renderer named in
:data:`INLINE_TEMPLATE_ALIASES` / :func:`inline_renderer`), "disambiguation", "stub", "drop"
(output that is not prose: images, maps, charts, icons, anchors, data look-ups) or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "CATEGORY_NAMESPACE_ALIASES",
    "CITATION_PARAMETERS",
    "CITATION_TEMPLATES",
    "DISAMBIGUATION_MAGIC_WORD",
    "DISAMBIGUATION_TEMPLATES",
    "DROP_TEMPLATES",
    "DROP_TEMPLATE_PREFIXES",
    "FILE_NAMESPACE_ALIASES",
    "HATNOTE_TEMPLATES",
    "INFOBOX_PREFIXES",
    "INFOBOX_SUFFIXES",
    "INFOBOX_TEMPLATES",
    "INLINE_LITERAL_TEXT",
    "INLINE_RENDERERS",
    "INLINE_RENDERER_DOCS",
    "INLINE_TEMPLATE_ALIASES",
    "INTERWIKI_LANGUAGE_CODES",
    "INTERWIKI_PROJECT_PREFIXES",
    "LANGUAGE_INLINE_ALIASES",
    "LANGUAGE_NAMES_EN",
    "LANGUAGE_TEMPLATE_CLASSES",
    "MAGIC_WORDS",
    "MAINTENANCE_TEMPLATES",
    "NAVIGATION_TEMPLATES",
    "NAVIGATION_TEMPLATE_HINTS",
    "SPAN_TEMPLATES",
    "SPAN_TEMPLATE_SUFFIXES",
    "STUB_TEMPLATES",
    "STUB_TEMPLATE_PREFIXES",
    "STUB_TEMPLATE_SUFFIXES",
    "TEMPLATE_CLASSES",
    "TEMPLATE_NAMESPACE_ALIASES",
    "canonical_citation_parameter",
    "classify_template",
    "inline_renderer",
    "is_magic_word",
    "normalize_template_name",
]


def _spellings(name: str) -> set[str]:
    """``name`` stripped, with single spaces, lower-cased and case-folded (one or two strings)."""
    name = " ".join(name.replace("_", " ").split())
    return {name.lower(), name.casefold()}


def _names(*groups: Iterable[str]) -> frozenset[str]:
    return frozenset(
        spelling for group in groups for name in group for spelling in _spellings(name)
    )


def _words_list(names: str) -> list[str]:
    """Names separated by "|" (names may hold spaces)."""
    return [name.strip() for name in names.split("|") if name.strip()]


def _table(*pairs: Mapping[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for mapping in pairs:
        for name, value in mapping.items():
            for spelling in _spellings(name):
                table[spelling] = value
    return table


def _words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------------------------
# Namespaces
# ---------------------------------------------------------------------------------------------

#: File (6) and Media (-2) namespace names and aliases. The first group was read from the
#: corpus's <siteinfo> blocks; the others are MediaWiki's localised names and aliases.
FILE_NAMESPACE_ALIASES: frozenset[str] = _names(
    # seen in the corpus siteinfo (ns 6 and ns -2), 24 wikis
    [
        "File",
        "Media",
        "Lêer",
        "Файл",
        "Медия",
        "Restr",
        "Fitxer",
        "Datei",
        "Medium",
        "Αρχείο",
        "Μέσο",
        "Dosiero",
        "Aŭdvidaĵo",
        "Archivo",
        "Medio",
        "Fichier",
        "Média",
        "Ficheiro",
        "ファイル",
        "メディア",
        "चित्र",
        "मिडिया",
        "Bestand",
        "Fil",
        "Filpeikar",
        "Plik",
        "Multimédia",
        "Медиа",
        "Медіа",
    ],
    # canonical / legacy aliases and other languages (general knowledge)
    ["Image", "Bild", "Imagen", "Arquivo", "Imagem", "Mídia", "Immagine", "Afbeelding"],
    ["Grafika", "Изображение", "Зображення", "画像", "文件", "檔案", "档案", "图像", "圖像"],
    ["媒体", "媒體", "파일", "그림", "미디어", "Εικόνα", "संचिका", "फ़ाइल", "मीडिया"],
    ["ملف", "صورة", "ميديا", "پرونده", "تصویر", "رسانه", "مدیا", "קובץ", "תמונה", "מדיה"],
    ["Dosya", "Resim", "Ortam", "Bilde", "Billede", "Tiedosto", "Kuva", "Fail", "Pilt", "Meedia"],
    ["Fájl", "Kép", "Soubor", "Obrázek", "Média", "Súbor", "Obrázok", "Médiá", "Slika"],
    ["Datoteka", "Mediji", "Датотека", "Слика", "Медиј", "Податотека", "Медиум", "Картинка"],
    ["Выява", "Мультымедыя", "Мэдыя", "Fișier", "Fişier", "Imagine", "Imatge", "Imaxe"],
    ["Fitxategi", "Irudi", "Beeld", "Skeudenn", "Tập tin", "Tệp", "Hình", "Phương tiện"],
    ["Berkas", "Gambar", "Fail", "Imej", "ไฟล์", "ภาพ", "สื่อ", "Vaizdas", "Failas", "Medija"],
    ["Attēls", "Fails", "Fasciculus", "Imago", "Պատկեր", "Մեդիա", "ფაილი", "სურათი", "მედია"],
    ["চিত্র", "মিডিয়া", "ফাইল", "படிமம்", "ஊடகம்", "దస్త్రం", "బొమ్మ", "మీడియా", "ಚಿತ್ರ"],
    ["ಮೀಡಿಯ", "പ്രമാണം", "ചിത്രം", "മീഡിയ", "فائل", "میڈیا", "Fayl", "Şəkil", "Skeda"],
    ["Mynd", "Miðill", "Delwedd", "Ffeil", "Íomhá", "Meán", "Talaksan", "Larawan"],
    ["Сурет", "Медиа", "Faili", "Picha"],
)

#: Category (14) namespace names and aliases; first group seen in the corpus siteinfo.
CATEGORY_NAMESPACE_ALIASES: frozenset[str] = _names(
    [
        "Category",
        "Kategorie",
        "Категория",
        "Rummad",
        "Categoria",
        "Κατηγορία",
        "Kategorio",
        "Categoría",
        "Catégorie",
        "वर्ग",
        "Categorie",
        "Kategori",
        "Kategoria",
        "Категорія",
    ],
    ["カテゴリ", "分类", "分類", "분류", "تصنيف", "رده", "קטגוריה", "श्रेणी", "বিষয়শ্রেণী"],
    ["Luokka", "Kategooria", "Kategória", "Kategorija", "Категорија", "Катэгорыя", "Thể loại"],
    ["หมวดหมู่", "Կատեգորիա", "კატეგორია", "பகுப்பு", "వర్గం", "ವರ್ಗ", "വർഗ്ഗം", "زمرہ"],
    ["Kateqoriya", "Turkum", "Flokkur", "Categori", "Catagóir", "Kategorya", "Jamii", "Санат"],
    ["Төркем", "Kategoriya"],
)

#: Template (10) namespace names: stripped from the front of a template name by
#: :func:`normalize_template_name`. First group seen in the corpus siteinfo.
TEMPLATE_NAMESPACE_ALIASES: frozenset[str] = _names(
    [
        "Template",
        "Sjabloon",
        "Шаблон",
        "Patrom",
        "Plantilla",
        "Vorlage",
        "Πρότυπο",
        "Ŝablono",
        "Modèle",
        "Modelo",
        "साचा",
        "Mal",
        "Szablon",
        "Predefinição",
    ],
    ["テンプレート", "模板", "樣板", "틀", "قالب", "תבנית", "साँचा", "Šablona", "Šablon"],
    ["Sablon", "Malline", "Mall", "Skabelon", "Şablon", "Bản mẫu", "Templat", "Txantiloi"],
    ["Шаблён", "แม่แบบ", "Կաղապար", "თარგი"],
    ["வார்ப்புரு", "మూస", "ಟೆಂಪ್ಲೇಟು", "ഫലകം", "Snið", "Nodyn", "Teimpléad"],
)

# ---------------------------------------------------------------------------------------------
# Interwiki prefixes
# ---------------------------------------------------------------------------------------------

#: Wikipedia language subdomains as of 2024, open and closed wikis (new ones are created every
#: year), plus the language-code aliases that Wikimedia's interwiki map also resolves (nb,
#: be-tarask, zh-cn, zh-tw, ...). ``[[de:Berlin]]`` (no leading colon) is an interlanguage link.
INTERWIKI_LANGUAGE_CODES: frozenset[str] = frozenset(
    _words(
        """
        aa ab ace ady af ak als alt am ami an ang ann anp ar arc ary arz as ast atj av avk awa
        ay az azb ba ban bar bat-smg bbc bcl bdr be be-x-old bew bg bh bi bjn blk bm bn bo bpy
        br bs btm bug bxr ca cbk-zam cdo ce ceb ch cho chr chy ckb co cr crh cs csb cu cv cy da
        dag de dga din diq dsb dtp dty dv dz ee el eml en eo es et eu ext fa fat ff fi fiu-vro
        fj fo fon fr frp frr fur fy ga gag gan gcr gd gl glk gn gom gor got gpe gu guc gur guw
        gv ha hak haw he hi hif ho hr hsb ht hu hy hyw hz ia iba id ie ig igl ii ik ilo inh io
        is it iu ja jam jbo jv ka kaa kab kbd kbp kcg kg kge ki kj kk kl km kn knc ko koi kr
        krc ks ksh ku kus kv kw ky la lad lb lbe lez lfn lg li lij lld lmo ln lo lrc lt ltg lv
        mad mai map-bms mdf mg mh mhr mi min mk ml mn mni mnw mo mos mr mrj ms mt mus mwl my
        myv mzn na nah nap nds nds-nl ne new ng nia nl nn no nov nqo nr nrm nso nup nv ny oc
        olo om or os pa pag pam pap pcd pcm pdc pfl pi pih pl pms pnb pnt ps pt pwn qu rm
        rmy rn ro roa-rup roa-tara rsk ru rue rw sa sah sat sc scn sco sd se sg sh shi shn si
        simple sk skr sl sm smn sn so sq sr srn ss st stq su sv sw syl szl szy ta tay tcy tdd
        te tet tg th ti tig tk tl tly tn to tpi tr trv ts tt tum tw ty tyv udm ug uk ur uz
        ve vec vep vi vls vo wa war wo wuu xal xh xmf yi yo yue za zea zgh zh zh-classical
        zh-min-nan zh-yue zu
        nb be-tarask zh-cn zh-tw lzh nan rup sgs vro
        """
    )
)

#: Interwiki prefixes of the sister projects and Wikimedia sites seen in article wikitext
#: (``[[wikt:word]]``, ``[[commons:File:...]]``, ``[[d:Q42]]``): a link with one of these
#: prefixes points outside the wiki; it is never an interlanguage link and its prefix is
#: never text.
INTERWIKI_PROJECT_PREFIXES: frozenset[str] = frozenset(
    _words(
        """
        w wikipedia wikt wiktionary n wikinews b wikibooks q wikiquote s wikisource
        species wikispecies v wikiversity voy wikivoyage f wikifunctions
        c commons m meta metawikimedia metawikipedia mw mediawikiwiki d wikidata
        wmf foundation wikimedia incubator outreach strategy testwiki wikitech
        phab phabricator mediazilla bugzilla gerrit translatewiki betawiki
        """
    )
)

# ---------------------------------------------------------------------------------------------
# Magic words (not templates)
# ---------------------------------------------------------------------------------------------

#: Variables and parser functions written like templates (``{{PAGENAME}}``,
#: ``{{DEFAULTSORT:x}}``, ``{{formatnum:1}}``). Names starting with "#" (``{{#if:}}``,
#: ``{{#invoke:}}``) are parser functions too: see :func:`is_magic_word`. Localised names:
#: "sortierung" (de), "cledetri" (fr), "デフォルトソート" (ja) were seen in the corpus.
_PARSER_FUNCTIONS: frozenset[str] = _names(
    _words(
        """
        lc uc lcfirst ucfirst formatnum padleft padright plural grammar gender int ns nse
        urlencode anchorencode fullurl fullurle localurl localurle canonicalurl canonicalurle
        filepath displaytitle defaultsort defaultsortkey defaultcategorysort pagesincategory
        pagesincat pagesize protectionlevel protectionexpiry special speciale tag bidi
        numberingroup numberinggroup pagesinnamespace pagesinns formatdate dateformat
        msg msgnw raw subst safesubst noexternallanguagelinks pageid
        sortierung cledetri clédetri デフォルトソート ordenar
        """
    )
)

#: Magic variables: ``{{PAGENAME}}`` with no colon.
_MAGIC_VARIABLES: frozenset[str] = _names(
    _words(
        """
        ! = pagename pagenamee fullpagename fullpagenamee basepagename basepagenamee
        subpagename subpagenamee rootpagename rootpagenamee articlepagename articlepagenamee
        subjectpagename subjectpagenamee talkpagename talkpagenamee namespace namespacee
        namespacenumber talkspace talkspacee subjectspace subjectspacee articlespace
        articlespacee currentyear currentmonth currentmonth1 currentmonth2 currentmonthname
        currentmonthnamegen currentmonthabbrev currentday currentday2 currentdow currentdayname
        currenttime currenthour currentweek currenttimestamp localyear localmonth localmonth1
        localmonth2 localmonthname localmonthnamegen localmonthabbrev localday localday2
        localdow localdayname localtime localhour localweek localtimestamp sitename server
        servername scriptpath stylepath currentversion contentlanguage contentlang
        pagelanguage revisionid revisionday revisionday2 revisionmonth revisionmonth1
        revisionyear revisiontimestamp revisionuser revisionsize numberofarticles
        numberofpages numberoffiles numberofusers numberofactiveusers numberofedits
        numberofadmins numberofviews directionmark dirmark
        """
    ),
)

MAGIC_WORDS: frozenset[str] = _PARSER_FUNCTIONS | _MAGIC_VARIABLES


# ---------------------------------------------------------------------------------------------
# Disambiguation
# ---------------------------------------------------------------------------------------------

DISAMBIGUATION_MAGIC_WORD = "__DISAMBIG__"

#: Templates that make a page a disambiguation page. Seen in the corpus: "αποσαφήνιση" (el),
#: "निःसंदिग्धीकरण" (mr), "aimai" (ja), "disambig" (uk). Not here on purpose: "set index
#: article", "surname", "given name" (list articles, not disambiguation pages) and hatnotes
#: that only point to a disambiguation page ("другие значения", "Begriffsklärungshinweis").
DISAMBIGUATION_TEMPLATES: frozenset[str] = _names(
    [
        "disambiguation",
        "disambig",
        "dab",
        "disamb",
        "hndis",
        "geodis",
        "numberdis",
        "letter disambiguation",
        "airport disambiguation",
        "biology disambiguation",
        "call sign disambiguation",
        "chinese title disambiguation",
        "genus disambiguation",
        "hospital disambiguation",
        "human name disambiguation",
        "mathematical disambiguation",
        "military unit disambiguation",
        "music disambiguation",
        "number disambiguation",
        "place name disambiguation",
        "road disambiguation",
        "school disambiguation",
        "species latin name disambiguation",
        "station disambiguation",
        "taxonomy disambiguation",
        "disambiguation cleanup",
        "dmbox",
        "disambig-cleanup",
        "letter-number combination disambiguation",
        "hndis-cleanup",
    ],
    ["begriffsklärung", "homonymie", "desambiguación", "desambiguação", "desambig", "disambigua"],
    ["ujednoznacznienie", "неоднозначность", "многозначность", "неоднозначність"],
    ["багатозначність", "曖昧さ回避", "aimai", "人名の曖昧さ回避", "地名の曖昧さ回避"],
    ["消歧义", "消歧義", "αποσαφήνιση", "निःसंदिग्धीकरण", "नि:संदिग्धीकरण", "doorverwijspagina"],
    ["dp", "förgrening", "peker", "pekerside", "flertydig", "fleirtyding", "täsmennyssivu"],
    ["rozcestník", "rozlišovacia stránka", "egyért", "anlam ayrımı", "פירושונים", "توضيح"],
    ["ابهام‌زدایی", "ابهامزدایی", "동음이의", "trang định hướng", "disambiguasi", "desambiguació"],
    [
        "homónimos",
        "apartigilo",
        "dezambiguizare",
        "razdvojba",
        "razločitev",
        "вишезначна одредница",
    ],
    ["пояснение", "појаснување", "неадназначнасць", "nozīmju atdalīšana", "nuorodinis"],
    ["täpsustuslehekülg", "argipen", "dubbelsinnig", "aðgreining", "gwahaniaethu"],
    ["discretiva", "բազմիմաստություն", "მრავალმნიშვნელოვანი", "แก้ความกำกวม", "dəqiqləşdirmə"],
    ["बहुविकल्पी शब्द", "দ্ব্যর্থতা নিরসন", "ضد ابہام", "nyahkekaburan", "paglilinaw", "kthjellim"],
)

# ---------------------------------------------------------------------------------------------
# Infoboxes
# ---------------------------------------------------------------------------------------------

#: Prefixes of infobox template names (matched after normalisation). Seen in the corpus:
#: "infobox " (de, fr, ja, uk, el, mr, en), "基礎情報 " (ja), "картка" (uk, also "Картка:..."),
#: "πληροφορίες " / "κουτί πληροφοριών " / "πλαίσιο πληροφοριών" (el), "माहितीचौकट" (mr),
#: "taxobox" (de, uk), "imagem" is *not* one (pt "Imagem múltipla" is a gallery).
INFOBOX_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        _names(
            [
                "infobox",
                "info/",
                "infocaixa",
                "ficha de",
                "taxobox",
                "geobox",
                "基礎情報",
                "картка",
                "карточка",
                "πληροφορίες",
                "κουτί πληροφοριών",
                "πλαίσιο πληροφοριών",
                "माहितीचौकट",
                "infoboks",
                "faktamall",
                "tietolaatikko",
                "infotaula",
                "bilgi kutusu",
                "инфокутия",
                "инфокутија",
                "տեղեկաքարտ",
                "ज्ञानसन्दूक",
                "তথ্যছক",
                "정보상자",
                "กล่องข้อมูล",
                "infokast",
                "infolentelė",
                "infopolje",
                "infokutija",
                "informkesto",
                "صندوق معلومات",
                "جعبه اطلاعات",
                "inligtingskas",
                "wikidata infobox",
                "विकिडेटा माहितीचौकट",
                "生物分類表",
                # other large wikis' infobox families (vi, ro, he, hi, bn, ta, id, ms, ka)
                "hộp thông tin",
                "infocaseta",
                "תבנית מידע",
                "ज्ञानसंदूक",
                "তথ্যপেটিকা",
                "தகவற்சட்டம்",
                "kotak info",
                "kotak maklumat",
                "ინფოდაფა",
            ]
        )
    )
)

#: Suffixes of infobox template names (Hungarian puts "infobox" last: "Település infobox").
INFOBOX_SUFFIXES: tuple[str, ...] = (
    " infobox",
    "-infobox",
    " инфобокс",
    " bilgi kutusu",  # trwiki: "Kişi bilgi kutusu"
    "信息框",  # zhwiki: "人物信息框"
    "資訊框",
)

#: Whole names of infoboxes that carry no infobox prefix; all seen in the corpus (a top-level
#: template near the top of a page with six or more "| name = value" lines).
INFOBOX_TEMPLATES: frozenset[str] = _names(
    # uk
    ["письменник", "особа", "науковець", "депутат", "державний діяч", "святий", "скульптор"],
    ["музикант", "пісня", "філософ", "мова", "гімн", "художник", "нп україни"],
    # el
    ["πόλη", "πολιτεία ηπα", "στρατιωτική σύγκρουση", "τεχνητή γλώσσα", "ήπειρος", "νόμισμα"],
    ["εθνικός ύμνος", "βουνό (ελλάδα)", "νησί", "έργο τέχνης"],
    # ja
    ["政治家", "体育館", "世界の市", "東京都の特別区", "communefra"],
    # mr
    ["किल्ला", "गायक माहिती", "अन्न"],
    # ru, en, de
    ["государство", "enzyme", "chembox", "drugbox", "speciesbox", "automatic taxobox"],
)

# ---------------------------------------------------------------------------------------------
# Hatnotes, navigation, maintenance, stubs
# ---------------------------------------------------------------------------------------------

#: Hatnotes ("For other uses see ...", "Main article: ..."): dropped from the text.
#: Seen in the corpus: main, see also, seealso, otheruses, redirect, for, about, further,
#: main2, see, also, 混同 (ja); siehe auch, hauptartikel, begriffsklärungshinweis,
#: weiterleitungshinweis (de); article détaillé, confusion, voir homonymes (fr); значення,
#: інші значення, основна стаття, детальніше, докладніше, див. також, див, othernames,
#: otheruses-2 (uk); κύριο, κύριο λήμμα, κύριο άρθρο, δείτε, δείτε επίσης, άλλεςχρήσεις(3, 4),
#: κατάλογος θανάτων / γεννήσεων (el); मुख्य, मुख्य लेख, मुख्यलेख, हा लेख, गल्लत,
#: इतरउपयोग४, हेही बघा (mr).
HATNOTE_TEMPLATES: frozenset[str] = _names(
    [
        "about",
        "about-distinguish",
        "for",
        "for2",
        "for-multi",
        "redirect",
        "redirect2",
        "redirect3",
        "redirect-multi",
        "redirect-distinguish",
        "main",
        "main article",
        "main2",
        "see also",
        "seealso",
        "see also2",
        "further",
        "further2",
        "further information",
        "details",
        "distinguish",
        "distinguish2",
        "other uses",
        "otheruses",
        "other uses2",
        "other people",
        "other places",
        "other ships",
        "other persons",
        "hatnote",
        "selfref",
        "self-reference",
        "see",
        "also",
        "broader",
        "for other uses",
        "otheruses4",
        "dablink",
        "rellink",
    ],
    # de
    ["hauptartikel", "siehe auch", "dieser artikel", "begriffsklärungshinweis"],
    ["weiterleitungshinweis", "verwechslungshinweis"],
    # fr
    ["article détaillé", "voir aussi", "article connexe", "articles connexes", "confusion"],
    ["voir homonymes", "homonyme", "à ne pas confondre", "article principal", "loupe"],
    ["sous-article"],
    # es, pt, it, pl, nl
    ["otros usos", "para otros usos", "artículo principal", "véase también", "ap", "vt"],
    ["distinguir", "ver também", "artigo principal", "outros usos", "outrosusos", "vedi anche"],
    ["torna a", "nota disambigua", "zobacz też", "inne znaczenia", "główny artykuł"],
    ["osobny artykuł", "zie ook", "zie hoofdartikel", "hoofdartikel", "dpintro"],
    # ru, uk
    ["другие значения", "основная статья", "см. также", "не путать", "перенаправление"],
    ["о", "значения", "значення", "інші значення", "основна стаття"],
    ["детальніше", "докладніше", "див. також", "див", "не плутати", "перенаправлення"],
    ["othernames", "otheruses-2", "однофамільці"],
    # ja
    ["redirectlist", "他の用法", "混同", "複数の記事", "詳細は", "redirect1", "別人", "関連記事"],
    # el
    ["κύριο", "κύριο λήμμα", "κύριο άρθρο", "δείτε", "δείτε επίσης", "άλλες χρήσεις"],
    ["άλλεςχρήσεις", "άλλεςχρήσεις3", "άλλεςχρήσεις4", "ανακατεύθυνση", "κατάλογος θανάτων"],
    ["κατάλογος γεννήσεων"],
    # mr
    ["मुख्य", "मुख्य लेख", "मुख्यलेख", "हा लेख", "गल्लत", "इतरउपयोग४", "इतरउपयोग", "हेही बघा"],
)

#: Substrings that mark navigation boxes, sidebars, portals, authority control, sister-project
#: boxes, reference-list wrappers and the like, wherever they occur in a (normalised) name.
#: Only distinctive strings belong here; short names are in :data:`NAVIGATION_TEMPLATES`.
NAVIGATION_TEMPLATE_HINTS: tuple[str, ...] = tuple(
    sorted(
        _names(
            [
                "navbox",
                "navboxes",
                "navigationsleiste",
                "navigation",
                "navigace",
                "навигац",
                "навігац",
                "sidebar",
                "bočný panel",
                "бічна панель",
                "portal",
                "portail",
                "πύλη",
                "портал",
                "ポータル",
                "दालन",
                "authority control",
                "normdaten",
                "нормативний контроль",
                "commons",
                "wikiquote",
                "wikisource",
                "wiktionary",
                "wikibooks",
                "wikinews",
                "wikispecies",
                "wikiversity",
                "wikivoyage",
                "sister project",
                "sisterlinks",
                "autres projets",
                "інші проєкти",
                "вікіпосилання",
                "вікіцитати",
                "вікісловник",
                "βικι",
                "विकिस्रोत",
                "विकिक्वोट",
                "कॉमन्स",
                "reflist",
                "refbegin",
                "refend",
                "notelist",
                "références",
                "s-start",
                "s-end",
                "succession box",
                "footer",
                "-footer",
                "υποσέλιδο",
                "διάζωνο",
                "フッター",
                "दिनदर्शिका",
                "ウィキポータルリンク",
                "ウィキプロジェクトリンク",
                "featured article",
                "good article",
                "lesenswert",
                "exzellent",
                "добра стаття",
                "вибрана стаття",
                "article de qualité",
                "bon article",
                "επέκταση ενότητας",
                "μήνες ",
                "navegação",
                " в темах",
            ]
        )
    )
)

#: Exact names of navigation boxes, banners, reference-list and layout wrappers that render
#: no prose. Most were seen in the corpus; topic navboxes seen in the corpus are listed too,
#: knowing that other articles use others (see the module docstring).
NAVIGATION_TEMPLATES: frozenset[str] = _names(
    # generic (en and shared)
    [
        "toc",
        "tocright",
        "toc limit",
        "compact toc",
        "clear",
        "clr",
        "-",
        "clear left",
        "clearleft",
        "clear right",
        "references",
        "reflist",
        "reflist-talk",
        "refs",
        "notes",
        "end",
        "s-bef",
        "s-aft",
        "s-ttl",
        "s-off",
        "s-ppo",
        "s-gov",
        "s-hou",
        "s-reg",
        "s-par",
        "s-hon",
        "s-ach",
        "s-new",
        "s-vac",
        "s-inc",
        "s-non",
        "s-ref",
        "succession box",
        "stack",
        "stack begin",
        "stack end",
        "ac",
        "dmoz",
        "curlie",
        "persondata",
        "coord missing",
        "use dmy dates",
        "use mdy dates",
        "use british english",
        "short description",
        "good article",
        "featured article",
        "spoken wikipedia",
        "pp",
        "pp-vandalism",
        "pp-semi-indef",
        "pp-move-indef",
        "pp-protected",
        "pp-semi",
        "italic title",
        "lowercase title",
        "dynamic list",
        "incomplete list",
        "expand list",
        "wikidata",
        "wikipediapage",
        "wikipedia",
        "interwiki",
        "interlanguage",
        "mediawiki",
        "wikinews",
        "multimedia",
        "external media",
        "falseredirect",
        "doc",
        "multicol",
        "multicol-break",
        "multicol-end",
        "col-begin",
        "col-break",
        "col-end",
        "col-2",
        "col-3",
        "col-4",
        "colbegin",
        "colend",
        "columns-start",
        "columns-end",
        "div col",
        "div col end",
        "div col start",
        "refbegin",
        "refend",
        "after float",
        "expand",
        "expand section",
        "original research",
        "wikify",
        "cleanup",
        "copyedit",
        "orphan",
        "notability",
        "advert",
        "one source",
        "primary sources",
        "more footnotes",
        "no footnotes",
        "tone",
        "essay-like",
        "multiple issues",
        "pathnav",
        "cat main",
        "category see also",
        "commonscat",
        "commons category",
        "commons",
        "wikiquote",
        "wiktionary",
        "wikisource",
        "wikibooks",
        "wikiversity",
        "wikivoyage",
    ],
    # de
    ["normdaten", "lesenswert", "exzellent", "gesprochene version", "absatz", "dnb-portal"],
    ["navigationsleiste", "überarbeiten", "lückenhaft", "unvollständig", "widerspruch"],
    # fr
    ["portail", "palette", "liens", "références", "notes", "autres projets"],
    ["catégorie principale", "sommaire", "semi-protection longue", "semi-protection"],
    ["références nombreuses", "à wikifier", "méta bandeau", "bandeau", "article de qualité"],
    ["bon article", "admissibilité à vérifier"],
    # ja
    ["脚注ヘルプ", "ウィキポータルリンク", "sisterlinks", "commons&cat"],
    ["wikinewscat", "wiktionarycat", "参照方法", "複数の問題", "存命人物の出典明記"],
    ["ウィキプロジェクトリンク", "日本の都道府県", "日本関連の項目", "社会科学のフッター"],
    [
        "最新の出来事の関連",
        "表2列",
        "要曖昧さ回避",
        "アジア",
        "ヨーロッパ",
        "アフリカ",
        "oic",
        "oif",
    ],
    [
        "人文科学",
        "言語学",
        "社会学",
        "哲学",
        "自然",
        "logic",
        "著作権 (法学)",
        "音楽",
        "g20",
        "opec",
    ],
    ["oecd", "科学技術研究", "コンピュータ科学", "engineering fields", "半保護"],
    ["flexbox start", "flexbox end", "未検証", "独自研究"],
    # pt, ru
    ["referências", "correlatos", "примечания", "переписать раздел"],
    # uk
    ["бібліоінформація", "вп-портали", "портали", "навігація для року", "навігація для століття"],
    ["початок року", "navboxes", "розширити розділ", "доробити", "перевірено"],
    ["україна в темах", "росія в темах", "країни, що визнали голодомор геноцидом", "у планах"],
    ["pd-письменник", "добра стаття", "вибрана стаття", "місяці та дні року", "перехід"],
    ["зміст у лінію", "рамка", "/рамка", "частини мови", "лінгвістика", "ск", "єс", "нато"],
    ["примітки", "рік у театрі", "українська мова", "географія", "географія вертикальний"],
    ["оеср", "рада європи", "очес", "гуам", "європа", "снд", "шос", "східне партнерство"],
    ["люблінський трикутник", "франкофонія", "шенгенська зона", "країни чорного моря"],
    ["weu", "мови програмування", "нобелівська премія з фізики", "періодична система елементів"],
    # el
    ["έτος", "μήνες", "5μήνες", "a-z", "α-ω", "portal bar", "μετάφραση", "παραπομπές", "nato"],
    ["φυσικ", "ελλάδα", "έδρες νομών της ελλάδας", "έδρες ελληνικών περιφερειών"],
    ["χώρες εε", "μορφοποίηση", "επιμέλεια", "εε-επέκταση"],
    ["κλάδοι της φυσικής", "ελληνικές πόλεις βάσει πληθυσμού", "ευρώπη", "ασία", "αφρική"],
    ["νότια αμερική", "βόρεια αμερική", "μέση ανατολή", "eu countries and candidates"],
    # mr
    ["संदर्भयादी", "संदर्भनोंदी", "संदर्भ यादी", "विस्तार-किल्ला", "मराठी शब्द सुचवा"],
    ["भारताची राष्ट्रीय दिनदर्शिका दिवस", "ग्रेगरियन महिने", "ग्रेगोरियन महिने"],
    ["ग्रेगरी दिनदर्शिका दिवस", "महाभारत", "रामायण", "भारतीय राज्ये", "भारतीय सण आणि उत्सव"],
    ["भारतीय राजकीय पक्ष", "हिंदू सण", "महाराष्ट्रातील जिल्हे", "सूर्यमाला", "वर्षपेटी"],
    ["मराठी साहित्यिक", "क्रम", "क्रम-शीर्षक", "क्रम-पुढील", "क्रम-मागील", "क्रम-सुरू"],
    ["क्रम-शेवट", "ऋतू", "भारतीय राष्ट्रपती", "भौगोलिक स्थान", "भारतरत्न", "भारतरत्‍न"],
    ["महाराष्ट्रातील किल्ले", "महाराष्ट्रातील लोककला", "भारतीय स्वातंत्र्यलढा", "मराठा साम्राज्य"],
    ["मराठी संगीत रंगभूमी", "मराठी कवी", "हिंदुस्तानी संगीत", "हिंदू धर्मग्रंथ", "बौद्ध सण"],
    ["भारतीय उपराष्ट्रपती", "वेद", "गणिताच्या शाखा", "भारतीय अंतराळ संशोधन", "हिंदू धर्म"],
    ["महाराष्ट्रातील किल्ले (विभागवार)", "सप्तचिरंजीव", "बदल", "विकिकरण", "अशुद्धलेखन"],
    ["इतिहासलेखन", "इतिहास लेखन", "भाषांतर", "अनुवाद", "मुखपृष्ठ सदर टीप", "मुखपृष्ठ सदर"],
    ["मुखपृष्ठ सदर लेख उमेदवार", "उदयोन्मुख लेख टीप", "चित्र हवे", "कॉलम-सुरू"],
    ["कॉलम-शेवट", "कॉलम-बंद", "विश्वकोशीय परिच्छेद हवा", "वाचक अभिप्राय हवा १"],
)

#: Maintenance templates that wrap article text ("this passage needs a source"): the passage
#: stays in the text (their first positional or ``text=``), the tag is still counted. Besides
#: these names, every name ending in " span" (en) or "範囲" (ja: 要出典範囲, いつ範囲,
#: 独自研究範囲 ... 45 uses of 要出典範囲 in the corpus's jawiki sample) wraps text.
SPAN_TEMPLATES: frozenset[str] = _names(
    [
        "citation needed span",
        "citazione necessaria",
        "cn span",
        "clarify span",
        "dubious span",
        "when span",
        "vague span",
        "référence nécessaire",
        "refnec",
        "passage non neutre",
        "passage évasif",
        "passage promotionnel",
        "passage inédit",
        "нет аи 2",
    ]
)
SPAN_TEMPLATE_SUFFIXES: tuple[str, ...] = (" span", "範囲")


#: Maintenance tags -> the Wikimedia Enterprise ``maintenance_tags`` counter they feed
#: (``citation_needed`` -> ``citation_needed_count`` ...). Seen in the corpus: citation needed,
#: cn, fact, update after, unreferenced (en, mr); référence nécessaire, refnec, ref nécessaire
#: (fr); 要出典, 要出典範囲, 出典の明記, いつ, いつ範囲, 誰, 誰2 (ja); джерело, fact, без джерел,
#: коли, оновити (uk); πηγή, πηγές, παραπομπή, εκκρεμεί παραπομπή, χωρίς παραπομπές,
#: ενότητα-πηγές, πηγές ενότητας, citation needed, ουδετερότητα (el); संदर्भ हवा, संदर्भ,
#: संदर्भहीन लेख, संदर्भ कमी, दुजोरा हवा, दृष्टिकोन, cn, citation needed (mr).
#: Article and section banners for the same issue are mapped like the inline tags.
MAINTENANCE_TEMPLATES: dict[str, str] = _table(
    dict.fromkeys(
        [
            # en
            "citation needed",
            "cn",
            "fact",
            "citation required",
            "cite needed",
            "citeneeded",
            "cn-span",
            "citation needed span",
            "citazione necessaria",
            "needs citation",
            "unreferenced",
            "unreferenced section",
            "more citations needed",
            "refimprove",
            "unsourced",
            "more citations needed section",
            "refimprove section",
            "fcn",
            # de
            "belege fehlen",
            "quelle",
            "quellen fehlen",
            # fr
            "référence nécessaire",
            "refnec",
            "ref nec",
            "ref nécessaire",
            "ref souhaitée",
            "référence souhaitée",
            "refsou",
            "à sourcer",
            "sans source",
            # es / pt / it / pl / nl
            "cita requerida",
            "sin referencias",
            "referencias",
            "carece de fontes",
            "sem-fontes",
            "sem fontes",
            "senza fonte",
            "fakt",
            "bron?",
            # ru / uk
            "нет аи",
            "нет источников",
            "источник?",
            "джерело",
            "джерело?",
            "потрібне джерело",
            "немає джерел",
            "без джерел",
            # ja
            "要出典",
            "要出典範囲",
            "出典の明記",
            "存命人物の出典皆無",
            # el
            "πηγή",
            "πηγές",
            "παραπομπή",
            "εκκρεμεί παραπομπή",
            "χωρίς παραπομπές",
            "ενότητα-πηγές",
            "πηγές ενότητας",
            # mr
            "संदर्भ हवा",
            "संदर्भ",
            "संदर्भहीन लेख",
            "संदर्भ कमी",
            "दुजोरा हवा",
        ],
        "citation_needed",
    ),
    dict.fromkeys(
        [
            "pov",
            "npov",
            "pov-section",
            "pov section",
            "pov-inline",
            "pov statement",
            "neutrality",
            "neutrality disputed",
            "pov check",
            "npov language",
            "neutralität",
            "non neutre",
            "neutralité",
            "neutralidad",
            "parcial",
            "проверить нейтральность",
            "не нейтрально",
            "観点",
            "中立的観点",
            "ουδετερότητα",
            "दृष्टिकोन",
        ],
        "pov",
    ),
    dict.fromkeys(
        [
            "clarify",
            "clarification needed",
            "clarify span",
            "vague",
            "which",
            "who",
            "when",
            "unverständlich",
            "pas clair",
            "quoi",
            "qui",
            "quand",
            "lequel",
            "aclarar",
            "chiarire",
            "неясно",
            "уточнить",
            "уточніть",
            "хто",
            "коли",
            "要説明",
            "いつ",
            "いつ範囲",
            "誰",
            "誰2",
            "ασαφές",
        ],
        "clarification_needed",
    ),
    dict.fromkeys(
        [
            "update",
            "out of date",
            "outdated",
            "update section",
            "update after",
            "update inline",
            "veraltet",
            "aktualisieren",
            "zukunft",
            "à actualiser",
            "à mettre à jour",
            "desactualizado",
            "actualizar",
            "desatualizado",
            "atualizar",
            "aggiornare",
            "aktualizuj",
            "оновити",
            "обновить",
            "要更新",
        ],
        "update",
    ),
)

#: Stub markers are recognised by these endings ("physics-stub", "ling-stub",
#: "Γλωσσολογία-επέκταση", "Математика-доробити") and by the prefixes and exact names below.
#: "अपूर्ण लेख" (mr: "incomplete article") was seen in the corpus ("खगोल शास्त्रावरील अपूर्ण लेख"),
#: as were "-stub" names (uk, ja, el), "-επέκταση" (el) and "-доробити" (uk).
STUB_TEMPLATE_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        _names(
            [
                "-stub",
                " stub",
                "stub",
                "-ébauche",
                "-заготовка",
                "-επέκταση",
                "अपूर्ण लेख",
                "अपूर्ण",
                "-доробити",
                "substub",
                "スタブ",
                "小作品",
            ]
        )
    )
)

#: Name prefixes of stub markers (ptwiki "Esboço-geografia", eswiki "Esbozo ...").
STUB_TEMPLATE_PREFIXES: tuple[str, ...] = tuple(
    sorted(_names(["esboço", "esbozo", "ébauche", "заготовка", "stub-"]))
)

#: Exact stub marker names. "विस्तार" (mr: "expand"; 214 uses in the corpus, at the end of short
#: articles) is the mrwiki stub marker; "節スタブ" (ja) marks a stub section.
STUB_TEMPLATES: frozenset[str] = _names(
    [
        "stub",
        "substub",
        "ébauche",
        "esbozo",
        "esboço",
        "abbozzo",
        "beginnetje",
        "заготовка",
        "незавершена стаття",
        "विस्तार",
        "अपूर्ण",
        "節スタブ",
        "スタブ",
        "小作品",
        "επέκταση",
    ],
)

# ---------------------------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------------------------

#: Citation templates -> kind ("web", "book", "news", "journal", "generic", "harv").
#: Seen in the corpus: cite web/book/news/journal/encyclopedia/conference/press release/report/
#: thesis/magazine/video/tweet/dictionary/paper, citation, cite, webarchive, wayback (en, ja, el,
#: uk, mr); literatur, internetquelle, webarchiv, google buch, gallica (de); lien web, ouvrage,
#: article, lien brisé, chapitre, lire en ligne (fr); книга, стаття, публікація, cite web 2,
#: citeweb, cite web/uk (uk); संकेतस्थळ स्रोत, स्रोत पुस्तक, स्रोत बातमी, जर्नल स्रोत,
#: स्रोत संकेतस्थळ, संदर्भ संकेतस्थळ, वेबॅक आर्किव्ह, harvard reference (mr); cite web2,
#: cite news2 (ja).
CITATION_TEMPLATES: dict[str, str] = _table(
    dict.fromkeys(
        [
            "cite web",
            "web cite",
            "cite website",
            "cite tweet",
            "cite mailing list",
            "cite newsgroup",
            "cite podcast",
            "webarchive",
            "web archive",
            "wayback",
            "webcite",
            "archive.is",
            "cite web2",
            "cite web 2",
            "citeweb",
            "cite web/uk",
            "internetquelle",
            "webarchiv",
            "lien web",
            "lien brisé",
            "lire en ligne",
            "cita web",
            "citar web",
            "cytuj stronę",
            "citeer web",
            "веб-ссылка",
            "cite web/ru",
            "संकेतस्थळ स्रोत",
            "स्रोत संकेतस्थळ",
            "संदर्भ संकेतस्थळ",
            "वेबॅक आर्किव्ह",
            "webarchivis",
            "cite websantosh",
            "संकेतस्थळ स्रोत दिव्यमराठी",
            "cite web/ja",
        ],
        "web",
    ),
    dict.fromkeys(
        [
            "cite book",
            "cite encyclopedia",
            "cite dictionary",
            "cite encyclopaedia",
            "literatur",
            "google buch",
            "ouvrage",
            "chapitre",
            "cita libro",
            "citar livro",
            "cita enciclopedia",
            "cytuj książkę",
            "citeer boek",
            "книга",
            "публикация",
            "публікація",
            "स्रोत पुस्तक",
            "google books",
            "google livres",
            "cite book/ja",
        ],
        "book",
    ),
    dict.fromkeys(
        [
            "cite news",
            "cite press release",
            "cite news2",
            "citenews",
            "cita noticia",
            "citar notícia",
            "zeitung",
            "स्रोत बातमी",
            "cite newspaper",
            "cite magazine2",
        ],
        "news",
    ),
    dict.fromkeys(
        [
            "cite journal",
            "cite magazine",
            "cite conference",
            "cite arxiv",
            "cite biorxiv",
            "cite paper",
            "cite science",
            "cite periodical",
            "article",
            "lien conférence",
            "périodique",
            "cita publicación",
            "cita publicacion",
            "citar periódico",
            "citar jornal",
            "cita pubblicazione",
            "cytuj pismo",
            "citeer journal",
            "статья",
            "стаття",
            "जर्नल स्रोत",
            "cite journal/ja",
        ],
        "journal",
    ),
    dict.fromkeys(
        [
            "citation",
            "cite",
            "cite report",
            "cite thesis",
            "cite av media",
            "cite episode",
            "cite map",
            "cite interview",
            "cite speech",
            "cite video",
            "cite patent",
            "cite court",
            "cite sign",
            "cite techreport",
            "cite av media notes",
            "cite serial",
            "cite video game",
            "cite music release notes",
            "cite document",
            "vcite web",
            "vcite book",
            "vcite journal",
            "vcite news",
            "cite doi",
            "cite pmid",
            "archive.today",
            "voir en ligne",
            "cite isbn",
            "patent",
            "lien vidéo",
            "lien archive",
            "cita",
            "cita video",
            "citar",
            "gallica",
            "cite 判例検索システム",
            "cite kotobank",
            "kotobank",
        ],
        "generic",
    ),
    # reference templates for one source (an encyclopedia, database or archive) seen in the
    # corpus: de, uk (encyclopedias and dictionaries), ja, el
    dict.fromkeys(
        [
            "hls",
            "ndb",
            "adb",
            "dnb",
            "ddb",
            "badw",
            "arxiv",
            "holleman-wiberg",
            "römpponline",
            "reptiledatabase",
            "webelements",
            "nist-asd",
            "der spiegel",
            "pressemappe",
            "nobel-ph",
            "iucn",
            "e2u",
            "еіу",
            "еу",
            "есу",
            "уре",
            "усе-4",
            "юридична енциклопедія",
            "лзе1",
            "лзе2",
            "ескм2017",
            "фес",
            "сум-11",
            "сум-20",
            "уме8",
            "уме11",
            "уме14",
            "уме15",
            "уме16",
            "умузе-3",
            "тес",
            "шеве-4",
            "шеве-5",
            "шеве-6",
            "мге",
            "мсіу",
            "мд",
            "мэс",
            "ввпз",
            "скбд",
            "тс буд",
            "лзпл2001",
            "словники україни online",
            "глосарій термінів з хімії",
            "脳科学辞典",
            "crd",
            "αρχείο εοα",
        ],
        "generic",
    ),
    # the citation templates of other large wikis (their documented names; params below)
    dict.fromkeys(
        _words_list(
            "chú thích web|verkkoviite|källa webb|web kaynağı|مرجع ويب|웹 인용|یادکرد وب"
            "|citace elektronické monografie|ref-web|citat web|kilde www|internetes hivatkozás"
            "|cite web/ru|cytuj stronę|citeer web|cita web|citar web|ציטוט רשת"
        ),
        "web",
    ),
    dict.fromkeys(
        _words_list(
            "chú thích sách|kirjaviite|källa bok|kitap kaynağı|مرجع كتاب|서적 인용|یادکرد کتاب"
            "|citace monografie|ref-llibre|citat carte|kilde bok|книга|cytuj książkę|citeer boek"
            "|cita libro|citar livro|ציטוט ספר"
        ),
        "book",
    ),
    dict.fromkeys(
        _words_list(
            "chú thích báo|uutislähde|källa nyheter|haber kaynağı|استشهاد بخبر|뉴스 인용"
            "|یادکرد خبر|ref-notícia|citat știre|kilde avis|cita noticia|citar notícia"
        ),
        "news",
    ),
    dict.fromkeys(
        _words_list(
            "chú thích tạp chí|lehtiviite|källa tidskrift|dergi kaynağı|استشهاد بدورية محكمة"
            "|저널 인용|یادکرد ژورنال|citace periodika|ref-publicació|citat revistă|kilde artikkel"
            "|статья|cytuj pismo|citeer journal|cita publicación|citar periódico|ציטוט כתב עת"
        ),
        "journal",
    ),
    dict.fromkeys(["harvard reference", "harvc", "citation/core"], "harv"),
)

#: Citation parameter names (after :func:`canonical_citation_parameter`'s normalisation:
#: casefold, "_" and "-" as spaces, single spaces) -> canonical key. Author-like names may be
#: numbered ("last2", "auteur3", "Autor2"): the digits are stripped before the lookup.
CITATION_PARAMETERS: dict[str, str] = _table(
    dict.fromkeys(
        [
            "title",
            "titel",
            "titre",
            "título",
            "titulo",
            "titolo",
            "tytuł",
            "titel",
            "заглавие",
            "название",
            "назва",
            "заголовок",
            "τίτλος",
            "शीर्षक",
            "タイトル",
            "script title",
        ],
        "title",
    ),
    dict.fromkeys(
        [
            "url",
            "online",
            "lire en ligne",
            "ссылка",
            "посилання",
            "दुवा",
            "chapter url",
            "chapterurl",
        ],
        "url",
    ),
    dict.fromkeys(
        [
            "archive url",
            "archiveurl",
            "archiv url",
            "archivurl",
            "urlarchivo",
            "urlarchive",
            "arquivourl",
            "arquivo url",
            "urlarchivio",
            "archiwum",
            "архив url",
            "архивurl",
            "архів url",
            "url архіву",
            "archivo url",
            "विदा संकेतस्थळ दुवा",
        ],
        "archive_url",
    ),
    dict.fromkeys(["doi"], "doi"),
    dict.fromkeys(["isbn", "isbn13", "isbn10", "आयएसबीएन"], "isbn"),
    dict.fromkeys(
        [
            "date",
            "year",
            "datum",
            "jahr",
            "année",
            "annee",
            "fecha",
            "año",
            "ano",
            "data",
            "anno",
            "rok",
            "дата",
            "год",
            "рік",
            "ημερομηνία",
            "έτος",
            "दिनांक",
            "वर्ष",
            "publication date",
            "publication year",
        ],
        "date",
    ),
    dict.fromkeys(
        [
            "access date",
            "accessdate",
            "abruf",
            "abgerufen",
            "zugriff",
            "consulté le",
            "consulte le",
            "accès",
            "fechaacceso",
            "fecha acceso",
            "fechadeacceso",
            "acessodata",
            "acesso data",
            "acessadoem",
            "accesso",
            "data accesso",
            "dataaccesso",
            "data dostępu",
            "dostęp",
            "дата доступа",
            "дата обращения",
            "дата доступу",
            "дата звернення",
            "ημερομηνία πρόσβασης",
            "प्रवेशदिनांक",
            "ॲक्सेसदिनांक",
            "अ\u200dॅक्सेसदिनांक",
            "アクセス日",
        ],
        "access_date",
    ),
    dict.fromkeys(
        [
            "publisher",
            "hrsg",
            "herausgeber",
            "verlag",
            "éditeur",
            "editeur",
            "maison d'édition",
            "editorial",
            "editora",
            "editore",
            "wydawca",
            "wydawnictwo",
            "uitgever",
            "издательство",
            "издатель",
            "видавництво",
            "видавець",
            "εκδότης",
            "प्रकाशक",
            "publicado",
            "出版社",
            "institution",
            "agency",
        ],
        "publisher",
    ),
    dict.fromkeys(
        [
            "work",
            "website",
            "journal",
            "newspaper",
            "magazine",
            "periodical",
            "encyclopedia",
            "encyclopaedia",
            "werk",
            "sammelwerk",
            "zeitschrift",
            "site",
            "périodique",
            "revue",
            "journal",
            "obra",
            "periódico",
            "publicación",
            "revista",
            "opera",
            "rivista",
            "sito",
            "czasopismo",
            "praca",
            "издание",
            "журнал",
            "газета",
            "видання",
            "вебсайт",
            "έργο",
            "ιστότοπος",
            "संकेतस्थळ",
            "कृती",
            "掲載誌",
            "jornal",
        ],
        "work",
    ),
    dict.fromkeys(
        [
            "author",
            "authors",
            "last",
            "first",
            "surname",
            "given",
            "vauthors",
            "coauthors",
            "autor",
            "autoren",
            "vorname",
            "nachname",
            "auteur",
            "auteurs",
            "nom",
            "prénom",
            "prenom",
            "apellido",
            "apellidos",
            "nombre",
            "autores",
            "último",
            "ultimo",
            "primeiro",
            "sobrenome",
            "autore",
            "cognome",
            "nome",
            "nazwisko",
            "imię",
            "imie",
            "auteur",
            "achternaam",
            "voornaam",
            "автор",
            "авторы",
            "фамилия",
            "имя",
            "прізвище",
            "ім'я",
            "автори",
            "συγγραφέας",
            "επώνυμο",
            "όνομα",
            "लेखक",
            "आडनाव",
            "नाव",
            "पहिलेनाव",
            "पहिले नाव",
            "सहलेखक",
            "著者",
        ],
        "author",
    ),
    dict.fromkeys(
        [
            "pages",
            "page",
            "at",
            "seiten",
            "seite",
            "passage",
            "páginas",
            "página",
            "pagina",
            "pagine",
            "p",
            "pp",
            "strony",
            "strona",
            "страницы",
            "страница",
            "сторінки",
            "сторінка",
            "σελίδες",
            "σελίδα",
            "पृष्ठ",
            "पृष्ठे",
            "पाने",
            "ページ",
            "paginas",
        ],
        "pages",
    ),
    dict.fromkeys(
        [
            "language",
            "lang",
            "sprache",
            "langue",
            "idioma",
            "lingua",
            "língua",
            "język",
            "taal",
            "язык",
            "мова",
            "мовою",
            "γλώσσα",
            "भाषा",
            "言語",
        ],
        "language",
    ),
    dict.fromkeys(
        [
            "archive date",
            "archivedate",
            "archiv datum",
            "archivdatum",
            "archiv-datum",
            "fechaarchivo",
            "fecha archivo",
            "arquivodata",
            "arquivo data",
            "dataarchivio",
            "data archivio",
            "zarchiwizowano",
            "дата архива",
            "архив дата",
            "дата архіву",
            "विदा दिनांक",
        ],
        "archive_date",
    ),
    dict.fromkeys(
        [
            "quote",
            "quotation",
            "zitat",
            "citation",
            "extrait",
            "cita",
            "citação",
            "citazione",
            "cytat",
            "citaat",
            "цитата",
            "απόσπασμα",
            "अवतरण",
            "引用",
        ],
        "quote",
    ),
    # parameters of the citation templates of other large wikis (fi, sv, tr, ca, vi, ar, fa,
    # ko, cs, ro, hu, he), from their templates' documentation
    dict.fromkeys(
        _words_list("nimeke|başlık|títol|tiêu đề|عنوان|제목|titul|titlu|cím|כותרת|名稱|标题|標題"),
        "title",
    ),
    dict.fromkeys(_words_list("osoite|مسار|نشانی|주소|כתובת|網址|网址"), "url"),
    dict.fromkeys(
        _words_list(
            "tekijä|författare|yazar|tác giả|مؤلف|نویسنده|저자|příjmení|jméno|szerző|מחבר|作者"
            "|suku|etu|ad|soyadı|họ|tên|الأخير|الأول|نام خانوادگی|성|이름"
        ),
        "author",
    ),
    dict.fromkeys(
        _words_list("julkaisija|utgivare|yayıncı|nhà xuất bản|ناشر|출판사|vydavatel|kiadó|editură"),
        "publisher",
    ),
    dict.fromkeys(
        _words_list("ajankohta|vuosi|tarih|ngày|năm|تاريخ|تاریخ|날짜|dată|dátum|תאריך|日期|年份"),
        "date",
    ),
    dict.fromkeys(
        _words_list(
            "viitattu|hämtdatum|erişimtarihi|consulta|ngày truy cập|تاريخ الوصول|تاریخ بازدید"
            "|확인날짜|citováno|elérés|访问日期|訪問日期|accesso"
        ),
        "access_date",
    ),
    dict.fromkeys(
        _words_list("julkaisu|verk|eser|obra|tác phẩm|عمل|اثر|작품|periodikum|אתר|作品|期刊"),
        "work",
    ),
    dict.fromkeys(
        _words_list("arşivurl|url arxiu|url lưu trữ|مسار الأرشيف|보존 url"), "archive_url"
    ),
)

#: Canonical keys that are author-like and may carry a number ("last2", "Autor3").
_NUMBERED_KEYS = frozenset({"author"})

# ---------------------------------------------------------------------------------------------
# Inline templates (rendered into the text)
# ---------------------------------------------------------------------------------------------

#: The inline renderers the parser implements, with what each one outputs.
INLINE_RENDERER_DOCS: dict[str, str] = {
    "convert": "value and unit as written ({{convert|5|km|mi}} -> '5 km'); no conversion",
    "lang": "the text argument (last positional) of a language-tagging template",
    "nowrap": "its argument unchanged",
    "nobr": "its argument unchanged",
    "date": "a date from its arguments (ISO date, or day|month|year on frwiki)",
    "ipa": "the transcription as the reader sees it: {{IPA|/ˈæ/}} '/ˈæ/', enwiki's {{IPA-de|x|lang}}"
    " 'German: [x]', {{IPAc-en|ˈ|æ|n}} '/ˈæn/'",
    "audio": "the label of an audio link ({{Audio|file|label}}); nothing for a bare player",
    "respell": "a respelled pronunciation, its syllables joined by hyphens ({{respell|ASS|kee}})",
    "lang_xx": "the text of {{lang-xx|text}}; on enwiki 'French: text' (with the romanization"
    " and literal translation when given)",
    "langx": "{{langx|fr|text}}: like lang_xx with the language code first",
    "sic": "the quoted text (last positional), without '[sic]'",
    "abbr": "the abbreviation (first positional)",
    "small": "its argument unchanged",
    "ill": "the link label: the local title or its display text (interlanguage-link templates)",
    "sfn": "nothing in the text: a short footnote (author, year, page)",
    "harv": "the in-text Harvard citation '(Author Year, p.)' or nothing for harvnb in refs",
    "nihongo": "English text then the Japanese in parentheses (first and second positional)",
    "transl": "the transliterated text (last positional)",
    "native_name": "the name (second positional)",
    "as_of": "'As of <date>' in the wiki's language",
    "flag": "the country or entity name (first positional, else the template name)",
    "formatnum": "the number, formatted with the wiki's digit grouping",
    "ruby": "base text then the reading in parentheses",
    "vanchor": "its text (first positional); the anchor itself is not text",
    "quote": "the quotation text (first positional or 'text='/'quote=')",
    "fr_quote": "the quotation between guillemets, '« text »' (frwiki {{citation}})",
    "fr_quote_open": "an opening guillemet '« ' (frwiki {{début citation}})",
    "fr_quote_close": "a closing guillemet ' »' (frwiki {{fin citation}})",
    "circa": "'c. ' followed by the date",
    "frac": "a fraction 'a b/c' from its positionals",
    "sortname": "'First Last' from the first two positionals",
    "coord": "nothing in the prose (coordinates go to structured data)",
    "unit": "number and unit as written (frwiki {{unité}})",
    "birth_date": "a date from year|month|day (plus '(age N)' for '... and age')",
    "death_date": "a date from year|month|day (plus '(aged N)' for '... and age')",
    "age": "an age in years computed from the dates",
    "start_date": "a date from year|month|day",
    "end_date": "a date from year|month|day",
    "snd": "a spaced en dash ' – '",
    "ndash": "an en dash '–'",
    "mdash": "an em dash '—'",
    "nbsp": "a no-break space (or N of them)",
    "spaces": "N spaces",
    "century": "a century ('XVIIIe siècle' from frwiki {{s|XVIII}} or {{s-|XVIII}}, 'Ve siècle"
    " av. J.-C.' from {{-s|V}}, 'XIXe et XXe siècles' from {{s2|XIX|XX}})",
    "passthrough": "the last non-empty positional argument, or nothing (layout wrappers)",
    "literal": "INLINE_LITERAL_TEXT[name] followed by any positional arguments",
    "ordinal": "the template name as written ({{1er}}, {{XIXe}}, {{XXe siècle}}: frwiki)",
    "fr_time": "a time of day the French way ({{heure|4|30}} -> '4 h 30')",
    "fr_century_ordinal": "a century's ordinal ({{s|XX}} -> 'XXe', {{s|I}} -> 'Ier')",
    "list": "each positional argument as one item (hlist, ubl, bulleted list)",
    "pagename": "the page title",
    "ref": "nothing in the text: a footnote or a reused reference ({{r}}, {{efn}})",
    "number": "the number (first positional) of a sortable-number template such as {{nts}}",
    "color": "the text (last positional) of a colouring template",
    "tsl": "the local title or display text of a translated-link template (zhwiki {{tsl}})",
    "currency": "the currency's sign and the amount ({{US$|5 million}} -> 'US$5 million')",
    "currency_code": "an amount and its ISO code as readers see them ({{Currency|11|EUR}} -> '€11')",
    "range": "the positional arguments joined by an en dash ({{Dash year|1943|1945}} -> '1943–1945')",
    "us_patent": "'U.S. patent' and the grouped number ({{US patent|1781541}})",
    "red_link": "the label (third positional) or the title of a missing article (elwiki {{Redwd}})",
    "join": "the positional arguments run together ({{chem|H|2|O}} -> 'H2O')",
    "gaps": "the positional arguments separated by spaces ({{gaps|1|234}} -> '1 234')",
    "lit": "'lit. \"...\"' around the first positional (a literal translation)",
    "quoted": "the first positional between quotation marks (an inline quotation, {{qi}})",
    "zh_life": "zhwiki's life dates {{bd|1950年|3月5日|2020年|4月5日}} -> '1950年3月5日—2020年4月5日'",
    "footnote": "nothing in the text: a reference, like <ref> (hewiki's {{הערה}})",
    "bio": "itwiki's biography opening: name (birth – death) è/è stato un <activity> <nationality>",
}

#: The names of :data:`INLINE_RENDERER_DOCS`: every value of :data:`INLINE_TEMPLATE_ALIASES`
#: is one of them.
INLINE_RENDERERS: frozenset[str] = frozenset(INLINE_RENDERER_DOCS)

#: Fixed text of the "literal" renderer. Seen in the corpus: "•" and "·" (uk, el), "," (fr),
#: "p.", "n°", "numéro", "coll.", "vol.", "isbn" (fr), "к.", "м.", "л.", "х." (uk city
#: abbreviations in bibliographies), "kia" (el, "†"), "*" (mr), "n/a" (ja), "градус цельсія" (uk).
INLINE_LITERAL_TEXT: dict[str, str] = _table(
    {
        "•": " • ",
        "·": " · ",
        "dot": " · ",
        "middot": "·",
        ",": ", ",
        "*": " • ",
        "bull": " • ",
        "p.": "p.",
        "pp.": "pp.",
        "n°": "n°",
        "numéro": "n°",
        "coll.": "coll.",
        "vol.": "vol.",
        "trans": "transl.",  # enwiki {{Trans|children of Merkel}}: "transl. children of Merkel"
        "к.": "К.",
        "м.": "М.",
        "л.": "Л.",
        "х.": "Х.",
        "†": "†",
        "kia": "†",
        "n/a": "N/A",
        "okina": "ʻ",
        "'": "'",
        '"': '"',
        "mme": "Mme",
        "etc.": "etc.",
        "etc": "etc.",
        "mlle": "Mlle",
        "mgr": "Mgr",
        "dr": "Dr",
        "cie": "Cie",
        "градус цельсія": "°C",
        "isbn": "ISBN",
        "isbn2": "ISBN",
        "isbnt": "ISBN",
        "issn": "ISSN",
        "oclc": "OCLC",
        "doi": "doi:",
        "hdl": "hdl:",
        "ean": "EAN",
        "§": "§",
        "e": "e",
        "er": "er",
        "re": "re",
        "ère": "ère",
        "'s": "&#39;s",  # an entity: next to '' it is no quote mark
        "née": "née",
        "né": "né",
    }
)

#: Localised and alias template names -> inline renderer. Seen in the corpus among others:
#: lang, zahlexp, zitat (de); date, date-, nombre, unité, nobr, s-, lien, langue, incise (fr);
#: 仮リンク, ruby, lang, langwithname, ウィキ座標度分秒, 生年月日と年齢, 語中改行, ilq (ja);
#: не перекладено, нп, iw, comment, nts, дата, дн, дс, цитата (uk); nowrap, δφα, προφορά,
#: απόσπασμα (el); sortname, मृत्यू दिनांक आणि वय, जन्म दिनांक, km to mi, लेखनाव (mr);
#: lang-xx / ipa-xx and French ordinals ({{1er}}, {{XIXe}}) are matched by pattern.
INLINE_TEMPLATE_ALIASES: dict[str, str] = _table(
    # convert / units
    dict.fromkeys(["convert", "cvt", "convert2", "km to mi", "mi to km"], "convert"),
    dict.fromkeys(["unité", "unit", "val", "zahlexp", "taille", "poids"], "unit"),
    # language tagging
    dict.fromkeys(
        [
            "lang",
            "langue",
            "lang2",
            "lang3",
            "langwithname",
            "rtl-lang",
            "rtl-langwithname",
            "lang-*-latn",
            "langi",
            "oq",
            "grec ancien",
            "nastaliq",
            "script",
            "polytonic",
            "lang-cu2",
            "lang-el2",
            "lang-grc2",
            "lang-chu2",
            "zh",
        ],
        "lang",
    ),
    dict.fromkeys(["transl", "transliteration", "translit"], "transl"),
    # wrappers that output their argument
    dict.fromkeys(["nowrap", "nowrap begin"], "nowrap"),
    {"nobr": "nobr"},
    dict.fromkeys(
        ["small", "smaller", "midsize", "fontsize", "resize", "big", "larger", "smallsup"],
        "small",
    ),
    dict.fromkeys(
        [
            "sup",
            "sub",
            "center",
            "centre",
            "text",
            "inline-block",
            "語中改行",
            "nobold",
            "en",
            "ja",
            "fr",
            "de",
            "es",
            "el",
            "la",
            "pt",
            "it",
            "ru",
            "mul",
            "pdflink",
            "pdf",
            "unicode",
            "jis2004フォント",
            "linktext",
            "autolink",
            "sort",
            "math",
            "incise",
            "encadré",
            "col",
            "columns-list",
            "col-list",
            "colonnes",
            "стовпці",
            "column",
            "гр",
            "url",
            "sqrt",
            "person",
            "casrn",
            "raumgruppe",
            "key",
            "下げ核",
            "高線",
            "українська",
            "sous-titre",
        ],
        "passthrough",
    ),
    dict.fromkeys(["vanchor", "visible anchor"], "vanchor"),
    dict.fromkeys(["色", "color", "colour", "font color"], "color"),
    dict.fromkeys(["abbr", "abbrlink", "comment", "tooltip", "h:title", "hover title"], "abbr"),
    {"sic": "sic"},
    dict.fromkeys(
        [
            "ilq",
            "bquote",
            "quote",
            "quotation",
            "cquote",
            "blockquote",
            "quote box",
            "zitat",
            "zitat-en",
            "citation bloc",
            "цитата",
            "απόσπασμα",
            "παράθεμα",
            "वचन",
        ],
        "quote",
    ),
    dict.fromkeys(
        [
            "hlist-comma",
            "hlist",
            "flatlist",
            "plainlist",
            "ubl",
            "unbulleted list",
            "bulleted list",
            "ul",
            "collapsible list",
            "endplainlist",
            "ordered list",
            "indented plainlist",
        ],
        "list",
    ),
    dict.fromkeys(["no col break", "nobreak"], "passthrough"),
    dict.fromkeys(["qi", "quote inline", "inline quote"], "quoted"),
    # dates
    dict.fromkeys(["date", "date-", "dts", "дата", "datum", "तारीख", "oldstyledate"], "date"),
    dict.fromkeys(
        [
            "birth date",
            "birth date and age",
            "bda",
            "dob",
            "date de naissance",
            "生年月日と年齢",
            "जन्म दिनांक",
            "जन्म दिनांक आणि वय",
            "дн",
            "дн2",
            "датарождения",
            "дата рождения",
            "дата народження",
            "дата нар",
        ],
        "birth_date",
    ),
    dict.fromkeys(
        [
            "death date",
            "death date and age",
            "dda",
            "date de décès",
            "死亡年月日と没年齢",
            "मृत्यू दिनांक आणि वय",
            "дс",
            "дс2",
            "ηθηλ",
            "датасмерти",
            "дата смерти",
            "дата смерті",
        ],
        "death_date",
    ),
    dict.fromkeys(["没年齢", "age"], "age"),
    dict.fromkeys(["start date", "start date and age", "release date"], "start_date"),
    {"end date": "end_date", "as of": "as_of"},
    dict.fromkeys(["circa", "c.", "ca."], "circa"),
    dict.fromkeys(["siècle", "s-", "s2-", "sp-", "-s-", "century", "séc", "siglo"], "century"),
    # pronunciation (rendered as nothing)
    dict.fromkeys(
        ["ipa", "ipac-en", "ipa2", "ipa-all", "δφα", "προφορά", "мфа", "мфа-всі", "мфа2"],
        "ipa",
    ),
    {"respell": "respell", "langx": "langx"},
    # audio players: the label of enwiki's {{Audio|file|label}}, nothing for the others
    dict.fromkeys(["audio", "prononciation", "msapi", "ऐका", "試聴"], "audio"),
    # interlanguage links
    dict.fromkeys(
        [
            "ill",
            "interlanguage link",
            "interlanguage link multi",
            "illm",
            "ill2",
            "link-interwiki",
            "lien",
            "仮リンク",
            "interlang",
            "не перекладено",
            "нп",
            "iw",
            "iw2",
            "link-en",
            "le",
            "link-de",
            "link-fr",
            "link-ja",
            "не переведено",
            "нп1",
            "нп2",
            "нп3",
            "нп4",
            "нп5",
            "illm-ko",
            "internal link helper",
            "internal link helper/en",
            "internal link helper/ja",
            "internal link helper/de",
            "internal link helper/fr",
            "ilh",
            "وصلة إنترويكي",
            "میان‌ویکی",
        ],
        "ill",
    ),
    dict.fromkeys(["tsl", "translink"], "tsl"),
    # more language tagging (ko, fa, ar)
    dict.fromkeys(["llang"], "lang"),
    dict.fromkeys(["به انگلیسی", "بالإنجليزية", "بالإنجليزي"], "passthrough"),
    # money, formulas, typography
    dict.fromkeys(
        _words_list("us$|usd|gbp|£|€|eur|euro|jpy|¥|yen|inr|₹|a$|cad|c$|nzd|chf|cny|rmb|रुपया|रुपये"),
        "currency",
    ),
    dict.fromkeys(["chem", "chem2", "chemf", "ce"], "join"),
    dict.fromkeys(
        ["mvar", "small caps", "smallcaps", "sc", "sc2", "keypress", "key press"], "abbr"
    ),
    # text shown as is, only styled or marked ("not a typo", code, emphasis)
    dict.fromkeys(
        _words_list(
            "not a typo|as written|proper name|typo|var|code|mono|monospace|samp|kbd|tt|strong"
            "|em|nobold|noitalic|serif|sans-serif|highlight|midsize|larger|smaller|versalita"
            "|polytonisch|romain"
        ),
        "abbr",
    ),
    dict.fromkeys(["gaps"], "gaps"),
    dict.fromkeys(["dash year", "year range"], "range"),
    dict.fromkeys(["lit", "literally", "literal translation"], "lit"),
    # short citations and footnotes
    dict.fromkeys(["sfn", "sfnp", "sfnm", "sfn2"], "sfn"),
    dict.fromkeys(
        [
            "harv",
            "harvnb",
            "harvp",
            "harvtxt",
            "harvcoltxt",
            "harvcol",
            "harvcolnb",
            "harvsp",
            "harvard citation no brackets",
            "harvard citation",
            "harvard citation text",
            "harvs",
        ],
        "harv",
    ),
    dict.fromkeys(
        [
            "r",
            "rp",
            "sfnref",
            "efn",
            "efn2",
            "efn-ua",
            "efn-la",
            "efn-lr",
            "refn",
            "refnest",
            "cnote",
            "cnote2",
            "cref2",
            "ref+",
            "notetag",
            "note label",
            "ref label",
            "ref",
            "note",
            "nb",
        ],
        "ref",
    ),
    # Japanese
    dict.fromkeys(["nihongo", "nihongo2", "nihongo4", "japonais"], "nihongo"),
    dict.fromkeys(["ruby", "ruby-ja", "読み仮名", "読み仮名 ruby不使用"], "ruby"),
    # names
    {"native name": "native_name", "sortname": "sortname"},
    # flags with a name (icon-only flags are in DROP_TEMPLATES)
    dict.fromkeys(
        [
            "flag",
            "flagcountry",
            "flagu",
            "flag country",
            "flagathlete",
            "flagcc",
            "ध्वज",
            "देशध्वज",
            "прапор",
            "флаг",
            "флагификация",
            "drapeau",
            "uno",
            "prc",
            "roc",
        ],
        "flag",
    ),
    # numbers
    dict.fromkeys(["nombre", "fmtn", "formatnum2"], "formatnum"),
    dict.fromkeys(["nts", "ntsh", "number table sorting", "nowrap number"], "number"),
    dict.fromkeys(["frac", "fraction", "sfrac"], "frac"),
    # coordinates
    dict.fromkeys(
        [
            "coord",
            "coor",
            "coord2",
            "ウィキ座標度分秒",
            "ウィキ座標",
            "ウィキ座標2段度分秒",
            "coordinates",
            "координаты",
            "wikidatacoord",
        ],
        "coord",
    ),
    # dashes and spaces
    dict.fromkeys(["snd", "spaced ndash", "spaced en dash", "sndash", "spnd"], "snd"),
    dict.fromkeys(["ndash", "–", "en dash", "endash"], "ndash"),
    dict.fromkeys(["mdash", "—", "em dash", "emdash"], "mdash"),
    dict.fromkeys(["nbsp", "nbs", "thinsp"], "nbsp"),
    dict.fromkeys(["spaces", "space", "sp", "pad", "indent", "1em"], "spaces"),
    # page name
    {"लेखनाव": "pagename"},
    # literal text
    dict.fromkeys(INLINE_LITERAL_TEXT, "literal"),
)

_DE_COUNTRY_FLAGS = [
    "Ägypten",
    "Albanien",
    "Algerien",
    "Argentinien",
    "Armenien",
    "Aserbaidschan",
    "Äthiopien",
    "Australien",
    "Bangladesch",
    "Belarus",
    "Belgien",
    "Bolivien",
    "Bosnien und Herzegowina",
    "Brasilien",
    "Bulgarien",
    "Chile",
    "China",
    "Dänemark",
    "Deutschland",
    "DDR",
    "Ecuador",
    "Estland",
    "Finnland",
    "Frankreich",
    "Georgien",
    "Griechenland",
    "Indien",
    "Indonesien",
    "Irak",
    "Iran",
    "Irland",
    "Island",
    "Israel",
    "Italien",
    "Japan",
    "Jugoslawien",
    "Kanada",
    "Kasachstan",
    "Kolumbien",
    "Kroatien",
    "Kuba",
    "Lettland",
    "Litauen",
    "Luxemburg",
    "Malaysia",
    "Marokko",
    "Mexiko",
    "Moldau",
    "Mongolei",
    "Montenegro",
    "Neuseeland",
    "Niederlande",
    "Nigeria",
    "Nordkorea",
    "Nordmazedonien",
    "Norwegen",
    "Österreich",
    "Pakistan",
    "Peru",
    "Philippinen",
    "Polen",
    "Portugal",
    "Rumänien",
    "Russland",
    "Saudi-Arabien",
    "Schweden",
    "Schweiz",
    "Serbien",
    "Singapur",
    "Slowakei",
    "Slowenien",
    "Sowjetunion",
    "Spanien",
    "Südafrika",
    "Südkorea",
    "Syrien",
    "Taiwan",
    "Thailand",
    "Tschechien",
    "Tschechoslowakei",
    "Tunesien",
    "Türkei",
    "Ukraine",
    "Ungarn",
    "Uruguay",
    "Venezuela",
    "Vereinigte Arabische Emirate",
    "Vereinigte Staaten",
    "Vereinigtes Königreich",
    "Vietnam",
    "Zypern",
]

#: English names of languages by code, as enwiki's {{lang-xx}}, {{langx}} and {{IPA-xx}} show
#: them ("French: texte"). Codes seen in the corpus's lang-xx/IPA-xx calls and the common rest.
LANGUAGE_NAMES_EN: dict[str, str] = {
    "af": "Afrikaans", "aln": "Gheg Albanian", "am": "Amharic", "ang": "Old English",
    "ar": "Arabic", "arc": "Aramaic", "az": "Azerbaijani", "be": "Belarusian",
    "ber": "Berber", "bg": "Bulgarian", "bn": "Bengali", "bo": "Tibetan", "br": "Breton",
    "brh": "Brahui", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cu": "Church Slavonic",
    "cy": "Welsh", "da": "Danish", "de": "German", "dv": "Maldivian", "el": "Greek",
    "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fil": "Filipino", "fo": "Faroese", "fr": "French",
    "fy": "West Frisian", "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician",
    "grc": "Ancient Greek", "gsw": "Swiss German", "gu": "Gujarati", "gv": "Manx",
    "haw": "Hawaiian", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole",
    "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "is": "Icelandic",
    "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "kw": "Cornish",
    "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian",
    "lv": "Latvian", "mi": "Māori", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian",
    "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese", "nds": "Low German",
    "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian",
    "nb": "Norwegian Bokmål", "oc": "Occitan", "pa": "Punjabi", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "rm": "Romansh", "ro": "Romanian",
    "ru": "Russian", "rus": "Russian", "sa": "Sanskrit", "sco": "Scots", "sd": "Sindhi",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovene", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tg": "Tajik", "th": "Thai", "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish",
    "tt": "Tatar", "tu": "Turkish", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "vi": "Vietnamese", "yi": "Yiddish", "yo": "Yoruba", "zh": "Chinese",
    "zu": "Zulu",
}  # fmt: skip

#: Names whose meaning depends on the wiki: lang -> {name: class}. Consulted first by
#: :func:`classify_template` when ``lang`` is given.
LANGUAGE_TEMPLATE_CLASSES: dict[str, dict[str, str]] = {
    "fr": _table({"citation": "inline", "article": "citation"}),
    "uk": _table({"s": "inline"}),
    "ru": _table({"s": "inline"}),
    "it": _table({"s": "stub", "citazione": "inline"}),
}

#: Inline renderers that depend on the wiki: lang -> {name: renderer}.
LANGUAGE_INLINE_ALIASES: dict[str, dict[str, str]] = {
    "de": _table(
        # dewiki's "{{EnS|...}}" ("engl. ...") family, seen: JaS, EnS
        dict.fromkeys(
            _words("ens frs des las grcs jas zhs its ess rus ars hes nls pts pls"), "lang"
        ),
        # dewiki flag templates named after the country ("{{Argentinien}}": flag and name);
        # seen in the corpus: Argentinien, Australien, Bolivien, Brasilien, Frankreich, Indien,
        # Japan, Kanada, Kuba, Luxemburg, Marokko, Österreich, Pakistan, Philippinen, Portugal,
        # Schweden, Sowjetunion, Südafrika, Südkorea, Taiwan, Thailand, Tunesien, Türkei,
        # Vereinigte Staaten, Vereinigtes Königreich
        dict.fromkeys(_DE_COUNTRY_FLAGS, "flag"),
    ),
    "fr": _table(
        {"citation": "fr_quote", "heure": "fr_time", "début citation": "fr_quote_open"},
        {"fin citation": "fr_quote_close"},
        # centuries: {{s|XII}}, linked {{s-|XII}}, BC {{-s|V}}, two {{s2|XIX|XX}}, a span {{sp}}
        dict.fromkeys(_words("s -s s2 -s2 sp -sp s- -s- s2- -s2- sp- -sp-"), "century"),
        # seen dropped in prose: {{page h'|Fédération|fédération}} (a disambiguation page's
        # link), {{tmp|2|°C}} (a temperature), {{latin|Austria}}, {{en langue|de|Österreich}},
        # {{smn|1897491|7}} (a number with its sort key, in tables)
        {"page h'": "passthrough", "tmp": "unit", "latin": "lang", "en langue": "lang"},
        {"smn": "number"},
    ),
    "uk": _table({"s": "nowrap"}),
    "ru": _table({"s": "nowrap"}),
    "it": _table({"citazione": "quote", "bio": "bio"}),
    "he": _table({"הערה": "footnote", "ה": "footnote"}),
    "zh": _table({"bd": "zh_life", "bda": "zh_life"}),
    "ja": _table({"ピン音": "abbr"}),  # pinyin: the romanisation as written
    "gl": _table({"dic": "abbr"}),  # a word linked to its dictionary entry
    "el": _table({"redwd": "red_link", "μονάδα": "unit"}),  # {{Redwd}}: a missing article
    "en": _table(
        {"currency": "currency_code", "us patent": "us_patent"},
        # seen dropped in prose: {{shy|Be|stimm|ung}} (soft hyphens), {{langr|de|Freiheit}},
        # {{Lbs|Hunstanton}} (a lifeboat station, 234 uses in one table)
        {"shy": "join", "langr": "lang", "lbs": "abbr"},
    ),
    "mr": _table({"w": "passthrough", "audio-ipa": "audio"}),  # {{w|Title}}: an enwiki link
}

#: Templates whose output is not prose: images and galleries, maps, charts, tables and table
#: cells, icons, anchors, external-link boxes, data look-ups (population, Wikidata), colour
#: legends, invisible sort keys, language markers of references. Nearly all were seen in the
#: corpus.
DROP_TEMPLATES: frozenset[str] = _names(
    # flags without a name, anchors, icons
    [
        "flagicon",
        "flagdeco",
        "flagicon image",
        "flag icon",
        "flagbig",
        "flag image",
        "прапорець",
        "прапорець20",
        "прапорзначок",
        "ध्वजचिन्ह",
        "country flag",
        "flagicon2",
        "anchor",
        "anchors",
        "anker",
        "якір",
        "ancre",
        "アンカー",
        "display none",
        "hidden",
        "legend",
        "legend0",
        "legend inline",
        "legend2",
        "легенда",
        "υπόμνημα",
        "color box",
        "colorbox",
        "color sample",
        "increase",
        "decrease",
        "steady",
        "increasenegative",
        "decreasepositive",
        "зменшення",
        "збільшення",
        "стабільно",
        "0",
        "lrm",
        "rlm",
        "zwsp",
        "wbr",
        "shy",
        "!!",
        "(!",
        "!)",
        "in lang",
        "en icon",
        "ja icon",
        "ru icon",
        "fr icon",
        "de icon",
        "ar icon",
        "fa icon",
        "id icon",
        "tr icon",
        "es icon",
        "it icon",
        "zh icon",
        "ko icon",
        "pt icon",
        "harvid",
        "sortkey",
        "sort key",
        "link fa",
        "link ga",
        "link gl",
        "нар",
        "н",
        "пом",
        "prefix",
        "intitle",
        "twitter status2",
        "certification table entry",
        "page needed",
        "要ページ番号",
        "ページ番号",
        "χρειάζεται σελίδα",
        "full citation needed",
        "better source needed",
        "verification needed",
        "要検証",
        "独自研究範囲",
        "ligação inativa",
        "imagem dupla",
        "panorama",
        "якорь",
        "падение",
        "рост",
        "начало цитаты",
        "конец цитаты",
        "gburl",
        "cbignore",
        "weather box/colpastel",
    ],
    # images, maps, charts, boxes
    [
        "multiple image",
        "double image",
        "double image aside",
        "vertical images list",
        "imagem múltipla",
        "double image multiple",
        "image label",
        "image label small",
        "image label begin",
        "image label end",
        "photomontage",
        "gallery",
        "wide image",
        "location map",
        "location map~",
        "location map+",
        "location map many",
        "location map end",
        "osm box",
        "osmrelation",
        "maplink",
        "maplink2",
        "googlemap",
        "wikiatlas",
        "विकिअॅटलास",
        "विकिअ\u200dॅटलास",
        "bar box",
        "bar percent",
        "bar percent 2",
        "pie chart",
        "climate chart",
        "climate graph",
        "weather box",
        "composition bar",
        "chset-cell",
        "clade",
        "chart",
        "chart top",
        "chart bottom",
        "single chart",
        "track listing",
        "tracklist",
        "timeline",
        "collapse top",
        "collapse bottom",
        "hidden begin",
        "hidden end",
        "navbar",
        "prettytable",
        "rh",
        "cell",
        "round corners",
        "clickable button 2",
        "free-content attribution",
        "succession",
        "extra chronology 2",
        "un population",
        "us census population",
    ],
    # external links and identifiers
    [
        "official website",
        "twitter",
        "twitter status",
        "facebook",
        "instagram",
        "youtube",
        "imdb",
        "imdb name",
        "imdb title",
        "imdb titel",
        "allmusic",
        "discogs",
        "bbc on this day",
        "बीबीसी आज",
        "आय.एम.डी.बी. नाव",
        "britannica",
        "universalis",
        "larousse",
        "bnf",
        "ndldc",
        "mediaarts-db",
        "全国書誌番号",
        "cia world factbook link",
        "dead link",
        "リンク切れ",
        "недоступне посилання",
        "мертве посилання",
        "मृत दुवा",
        "personendaten",
        "commentaire biblio",
        "crédit d'auteurs",
        "médaille",
        "déco",
        "page h'",
        "wd",
        "redwd",
    ],
    # data look-ups and per-wiki boxes seen in the corpus
    [
        "自治体人口",
        "都市圏",
        "都市圏color",
        "人口統計",
        "基礎自治体位置図",
        "citypop/figure",
        "衆議院小選挙区当選者",
        "参議院選挙区当選者偶数開催",
        "参議院選挙区当選者奇数開催",
        "郡データ換算",
        "座標一覧",
        "地域区分表",
        "地域区分表列",
        "charcode",
        "特殊文字",
        "jr西路線記号",
        "ja exp route sign",
        "ウィキトラベル インライン",
        "wikivoyage-inline",
        "上陸台風が多い都道府県",
        "рік в інших календарях",
        "відстані до великих міст",
        "клімат міста",
        "розташування",
        "розташування2",
        "шрифти церковнослов'янська",
        "ряд2",
        "автошлях н",
        "έτος σε άλλα ημερολόγια",
        "ημερολόγιοσεπίνακα",
        "γεωγραφική θέση",
        "μεγαλύτερες πόλεις",
        "αρχείο ερτ",
        "athex",
        "glottolog",
        "iso 639 πίνακας",
        "infobox political party/seats",
        "जिल्हा शहर",
        "तालुका शहर",
        "वंशावली",
        "वंशावली/प्रारंभ",
        "वंशावली/शेवट",
        "समीकरण चौकट १",
        "unicode chart devanagari",
        "unicode chart devanagari extended",
        "unicode chart vedic extensions",
        "日本の都道府県内自治体位置図",
        "マンガ図書館z作家",
        "ghs-piktogramme",
        "h-sätze",
        "euh-sätze",
        "p-sätze",
        "écouter en ligne",
        "aud",
        "संकेतस्थळ",
    ],
)

#: Name prefixes of templates whose output is not prose: per-municipality data look-ups (ja),
#: ``{{Πύλη:...}}`` / ``{{Portal:...}}`` transclusions of portal pages (el), pieces of the
#: main page (mr), language markers of references ("ref-en", uk). Party colours
#: ("... /meta/color") are matched as a suffix in :func:`classify_template`.
DROP_TEMPLATE_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        _names(
            [
                "自治体人口/",
                "自治体面積/",
                "都市圏",
                "πύλη:",
                "portal:",
                "विकिपीडिया:",
                "wikipedia:",
                "मुखपृष्ठ",
                "ref-",
                "location map",
                "image label",
                "chset",
                "flagicon",
                "flagdeco",
                "bar percent",
                "legend",
                "déco ",
                "médaille ",
                "unicode chart",
                "орден ",
                "медаль ",
            ]
        )
    )
)

#: Exact-name tables by class, in lookup order (first hit wins).
TEMPLATE_CLASSES: tuple[tuple[str, Mapping[str, str] | frozenset[str]], ...] = (
    ("disambiguation", DISAMBIGUATION_TEMPLATES),
    ("maintenance", MAINTENANCE_TEMPLATES),
    ("citation", CITATION_TEMPLATES),
    ("hatnote", HATNOTE_TEMPLATES),
    ("infobox", INFOBOX_TEMPLATES),
    ("stub", STUB_TEMPLATES),
    ("inline", INLINE_TEMPLATE_ALIASES),
    ("drop", DROP_TEMPLATES),
    ("navigation", NAVIGATION_TEMPLATES),
)

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_SPACES = re.compile(r"[\s_]+")
_SUBST = ("subst:", "safesubst:", "msgnw:", "msg:", "raw:")
_PARAM_SEPARATORS = re.compile(r"[\s_\-]+")
_TRAILING_DIGITS = re.compile(r"\s*\d+$")
_LANG_TEMPLATE = re.compile(r"^(?:lang|langx|lang-x|rtl-lang)-[a-z]{2,3}(?:-[a-z0-9]+)*\d?$")
_IPA_TEMPLATE = re.compile(r"^(?:ipa|ipac|ipa audio|ipa lang)-[a-z]{2,3}(?:-[a-z]+)*$")
_ICON_TEMPLATE = re.compile(r"^[a-z]{2,3}(?:-[a-z]+)? icon$")
_FR_ORDINAL = re.compile(r"^(?:\d+|[ivxlcdm]+)(?:e|er|re|ère|ème|es|ers|res|d|nd|nde)$")
# frwiki's centuries and millennia named in full: {{XXe siècle}}, {{IIIe siècle av. J.-C.}}
_FR_CENTURY_NAME = re.compile(
    r"^(?:[ivxlcdm]+(?:e|er) (?:siècle|millénaire)(?: av\. j\.-c\.)?"
    r"|\d+(?:e|er) arrondissement(?: d(?:e |u |')\S.*)?)$"  # {{18e arrondissement de Paris}}
)
_COUNTRY_FLAG = re.compile(r"^([a-z]{3})(?:-?\d{4}|-d|-old|old)?$")
_ROMAN = re.compile(r"^[ivxlcdm]+$")

#: IOC, ISO 3166-1 alpha-3 and FIFA codes used as flag templates ({{USA}}, {{GER}}, {{DEU-1949}},
#: fr {{FRA-d}}). Seen in the corpus on el, uk, ja, de and fr.
_COUNTRY_CODES: frozenset[str] = frozenset(
    _words(
        """
        afg alb alg and ang ant arg arm aru asa aus aut aze bah ban bar bdi bel ben ber bhu bih
        biz blr bol bot bra brn bru bul bur caf cam can cay cgo cha chi chn civ cmr cod cok col
        com cpv crc cro cub cyp cze den dji dma dom ecu egy eri esa esp est eth fij fin fra fsm
        gab gam gbr gbs geo geq ger gha gre grn gua gui gum guy hai hkg hon hun ina ind iri irl
        irq isl isr isv ita ivb jam jor jpn kaz ken kgz kir kor kos ksa kuw lao lat lba lbn lbr
        lca les lie ltu lux mad mar mas maw mda mdv mex mgl mhl mkd mli mlt mne mon moz mri mtn
        mya nam nca ned nep ngr nig nor nru nzl oma pak pan par per phi ple plw png pol por prk
        pur qat rou rsa rus rwa sam sen sey sgp skn sle slo smr sol som srb sri ssd stp sud sui
        sur svk swe swz syr tan tga tha tjk tkm tls tog tpe tto tun tur tuv uae uga ukr uru usa
        uzb van ven vie vin yem zam zim
        urs gdr frg yug tch scg eun rom lib zai rho boh anz eua sin ussr rusold
        eng sco wal nir
        abw ago aia ala are asm ata atf atg bes bfa bgd bgr bhr bhs blm blz bmu brb btn bvt bwa
        cck che chl cog cod cok cri cuw cxr cym deu dnk dza esh flk fro gib gin glp gmb gnb gnq
        grc grd grl gtm guf hmd hnd hrv hti idn imn iot irn jey khm kna kwt lbn lby lka lso lva
        mac maf mco mdg mmr mng mnp mrt msr mtq mus mwi mys myt ncl ner nfk nga nic niu nld npl
        omn pcn phl pri prt pry pse pyf reu sau sdn sgs shn sjm slb slv spm svn sxm syc tca tcd
        tgo tkl twn tza umi ury vat vct vgb vir vnm vut wlf wsm zaf zmb zwe
        """
    )
)


def normalize_template_name(name: str) -> str:
    """The lookup key of a template name.

    Drops comments, a ``subst:``/``safesubst:`` modifier and a leading Template-namespace prefix
    in any language ("Template:", "Vorlage:", "Modèle:", "Шаблон:", "テンプレート:",
    "Πρότυπο:", "साचा:" ...), collapses whitespace and underscores to single spaces, and
    case-folds. ``"  Template:Cite_web "`` -> ``"cite web"``.
    """
    name = _COMMENT.sub("", name)
    name = _SPACES.sub(" ", name).strip().casefold()
    for modifier in _SUBST:
        if name.startswith(modifier):
            name = name[len(modifier) :].strip()
            break
    prefix, colon, rest = name.partition(":")
    if colon and prefix.strip() in TEMPLATE_NAMESPACE_ALIASES:
        name = rest.strip()
    return name


def is_magic_word(name: str) -> bool:
    """True for parser functions and variables written like templates, not for templates.

    ``{{#if:...}}``, ``{{#invoke:...}}``, ``{{DEFAULTSORT:...}}``, ``{{formatnum:1}}``,
    ``{{PAGENAME}}``, ``{{!}}``.
    """
    key = _SPACES.sub(" ", _COMMENT.sub("", name)).strip().casefold()
    if key.startswith("#"):
        return True
    head, colon, _ = key.partition(":")
    if colon:
        return head.strip() in MAGIC_WORDS
    return key in _MAGIC_VARIABLES


def inline_renderer(name: str, lang: str | None = None) -> str | None:
    """The inline renderer (one of :data:`INLINE_RENDERERS`) for a template, or None."""
    key = normalize_template_name(name)
    if lang and (renderer := LANGUAGE_INLINE_ALIASES.get(lang, {}).get(key)):
        return renderer
    if renderer := INLINE_TEMPLATE_ALIASES.get(key):
        return renderer
    if _LANG_TEMPLATE.match(key):
        return "lang_xx"
    if _IPA_TEMPLATE.match(key):
        return "ipa"
    if (_FR_ORDINAL.match(key) and (lang == "fr" or key[0].isdigit())) or (
        lang == "fr" and (_ROMAN.match(key) or _FR_CENTURY_NAME.match(key))
    ):
        return "ordinal"
    match = _COUNTRY_FLAG.match(key)
    if match and match.group(1) in _COUNTRY_CODES:
        return "flag"
    return None


def classify_template(name: str, lang: str | None = None) -> str | None:
    """What a template is, from its name alone.

    Returns "infobox", "citation", "maintenance", "span", "hatnote", "navigation", "inline",
    "disambiguation", "stub", "drop" or None (unknown: the parser decides, e.g. by position).
    Magic words and parser functions are None too (see :func:`is_magic_word`). ``lang`` (the
    wiki's language code) selects per-wiki meanings of ambiguous names.
    """
    key = normalize_template_name(name)
    if not key or is_magic_word(key):
        return None
    if lang and (kind := LANGUAGE_TEMPLATE_CLASSES.get(lang, {}).get(key)):
        return kind
    if key in SPAN_TEMPLATES or key.endswith(SPAN_TEMPLATE_SUFFIXES):
        return "span"  # before the tables: most are also maintenance tags, to be counted
    for kind, table in TEMPLATE_CLASSES:
        if key in table:
            return kind
    if key.startswith(INFOBOX_PREFIXES) or key.endswith(INFOBOX_SUFFIXES):
        return "infobox"
    if key.startswith(("cite ", "cita ", "citar ", "cytuj ", "citeer ", "vcite")):
        return "citation"
    if key.endswith(STUB_TEMPLATE_SUFFIXES) or key.startswith(STUB_TEMPLATE_PREFIXES):
        return "stub"
    if inline_renderer(key, lang) is not None:
        return "inline"
    if _ICON_TEMPLATE.match(key) or key.endswith("/meta/color"):
        return "drop"
    if key.startswith(DROP_TEMPLATE_PREFIXES):
        return "drop"
    if any(hint in key for hint in NAVIGATION_TEMPLATE_HINTS):
        return "navigation"
    return None


def canonical_citation_parameter(name: str) -> str | None:
    """The canonical key of a citation-template parameter name, or None.

    Case, surrounding space, "_" and "-" do not matter; author-like names may carry a number:
    ``"last2"`` -> "author", ``"Access-Date"`` -> "access_date", ``"Abruf"`` ->
    "access_date", ``"consulté le"`` -> "access_date", ``"archive_url"`` -> "archive_url".
    """
    key = _PARAM_SEPARATORS.sub(" ", name.strip().casefold()).strip()
    if not key:
        return None
    if canonical := CITATION_PARAMETERS.get(key):
        return canonical
    base = _TRAILING_DIGITS.sub("", key)
    if base != key and (canonical := CITATION_PARAMETERS.get(base)) in _NUMBERED_KEYS:
        return canonical
    return None
