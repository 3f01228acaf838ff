"""Invented names and addresses for the demo company's customers.

Everything here is made up. The lists are hand-picked so that the demo exercises what real
customer files contain: accents and ligatures (É, è, ç, ô, œ, ï), names that share their first
five letters (the account-code clash rule), characters that Windows-1252 cannot hold (Ł, ő),
and names that a spreadsheet would read as a formula (a leading "=" or "+").
"""

from __future__ import annotations

# Companies that have been members for a while (they already have an accounting code).
# "Simplon" / "Simplicité Conseil" / "SIMPLE Studio" and the three "Atelier ..." share their
# first five letters; "Lefèvre Immobilier" clashes with the member François Lefèvre below.
LONG_STANDING_COMPANIES = (
    "Simplon", "Simplicité Conseil", "SIMPLE Studio",
    "Atelier Dupont", "Atelier Martin", "Atelier Lumière",
    "Lefèvre Immobilier", "=SUM Consulting",
    "Éditions du Hérisson", "Cœur de Ville SARL", "Ça Va Studio", "Ôkami Design",
    "Bœuf & Fils Traiteur", "Maïs & Cie", "Crème Brûlée Events", "Nébuleuse Digitale",
    "Papillon Vert", "Les Petites Mains", "Octave & Lise", "Brindille Paysage",
    "Kiosque Numérique", "Azur Data", "Rivière Bleue SAS", "Boréal Énergie",
    "Canopée Architecture", "Cabinet Rousseau Avocats", "Cabinet Lemaître Expertise",
    "Studio Gaïa", "Agence Pépite", "Noé Logistique", "Hêtre & Chêne Menuiserie",
    "Forêt Noire Pâtisserie", "Lumen Analytics", "Pixel Cévenol", "Quai des Données",
    "Traboule Conseil", "Presqu'île Ventures", "Soierie Numérique", "Croix-Rousse Créations",
    "Fourvière Finance", "Bellecour Patrimoine", "Mosaïque RH", "Zéphyr Mobilité",
    "Épicure Food Lab", "Clé de Sol Musique", "Méandre Films", "Orée Conseil",
    "Alcôve Design", "Naïade Cosmétiques", "Équinoxe Formation",
)

# Companies that signed up recently (no accounting code yet). Some clash with the codes
# above ("Simplexe", "Atelier Nomade", "Lefèvre & Associés"); "+Plus Agency" starts with "+".
NEW_COMPANIES = (
    "Simplexe Formation", "+Plus Agency", "Atelier Nomade", "Lefèvre & Associés",
    "Boussole Digitale", "Hirondelle Studio", "Ébène Consulting", "Glaïeul Fleurs",
    "Tilleul Tech", "Comète Événements", "Sérénité Yoga", "Grain de Café Torréfacteurs",
    "Récré Ludothèque", "Jardin d'Hiver SAS", "Écume Surf School", "Bâtisseurs du Rhône",
    "Phénix Recrutement", "Marelle Éducation", "Vélo Cité Livraison", "Ardoise Bistrot",
    "Lutèce Data", "Renard Roux Productions",
)

# People (first name, last name) that must be present; the rest are drawn from the pools.
# "Łukasz Wróbel" cannot be written in Windows-1252 (Ł); neither can "Zoltán Kővári" (ő).
LONG_STANDING_PEOPLE = (
    ("Łukasz", "Wróbel"), ("François", "Lefèvre"), ("Hélène", "Côté"),
    ("Maëlle", "Le Goff"), ("Jérôme", "Lebœuf"), ("Anaïs", "Ménard"),
)
NEW_PEOPLE = (
    ("Zoltán", "Kővári"), ("Noémie", "Chrétien"), ("Loïc", "Brûlé"),
)

FIRST_NAMES = (
    "Élodie", "Hélène", "François", "Chloé", "Maëlle", "Noémie", "Loïc", "Jérôme", "Zoé",
    "Anaïs", "Célia", "Amélie", "Benoît", "Gaëlle", "Raphaël", "Mathéo", "Inès", "Léa",
    "Léon", "Théo", "Clément", "Aurélien", "Séverine", "Cécile", "Stéphane", "Frédéric",
    "Joël", "Agnès", "Thaïs", "Éric", "Océane", "Solène", "Lucas", "Camille", "Julien",
    "Sarah", "Hugo", "Manon", "Nicolas", "Emma", "Yanis", "Aïcha", "Karim", "Mélissa",
    "Bérénice", "Gaétan", "Héloïse", "Maxime",
)
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Durand", "Moreau", "Bénard", "Le Bihan", "Fèvre",
    "Rousseau", "Lemaître", "Garnier", "Chevalier", "Mercier", "Girard", "Bonnet", "Faure",
    "André", "Blanc", "Guérin", "Boyer", "Gauthier", "Perrin", "Roussel", "Morin", "Noël",
    "Lacroix", "Hervé", "Déprez", "Thébault", "Sénéchal", "Péguy", "Kerbœuf", "Pétré",
    "Da Silva", "Nguyen", "Haddad", "Benali", "Lefort", "Caron", "Aubry", "Després",
)

# (city, postal code); the first list for members of the Paris site, the second for Lyon,
# the third for companies that only use the domiciliation from elsewhere in France.
PARIS_AREA = (
    ("Paris", "75011"), ("Paris", "75012"), ("Paris", "75020"), ("Paris", "75003"),
    ("Montreuil", "93100"), ("Vincennes", "94300"), ("Boulogne-Billancourt", "92100"),
    ("Saint-Denis", "93200"), ("Ivry-sur-Seine", "94200"),
)
LYON_AREA = (
    ("Lyon", "69002"), ("Lyon", "69001"), ("Lyon", "69004"), ("Lyon", "69007"),
    ("Villeurbanne", "69100"), ("Caluire-et-Cuire", "69300"), ("Écully", "69130"),
)
ELSEWHERE = (
    ("Marseille", "13002"), ("Lille", "59000"), ("Nantes", "44000"), ("Bordeaux", "33000"),
    ("Grenoble", "38000"), ("Annecy", "74000"), ("Saint-Étienne", "42000"),
    ("Évry-Courcouronnes", "91000"), ("Rennes", "35000"),
)
STREETS = (
    "rue de la Roquette", "boulevard Voltaire", "rue du Faubourg-Saint-Antoine",
    "avenue Jean-Jaurès", "rue Mercière", "quai Saint-Antoine", "place Bellecour",
    "rue de l'Église", "rue Victor-Hugo", "rue des Tanneurs", "impasse des Lilas",
    "chemin du Moulin", "allée des Châtaigniers", "rue de la République", "cours Lafayette",
    "rue Émile-Zola", "boulevard de la Croix-Rousse", "rue Saint-Honoré",
)
LINE2 = ("Bâtiment B", "2e étage", "Escalier C", "Appartement 12", "Boîte 4")

# Mail providers for people: the reserved ".example" top-level domain keeps every address
# undeliverable, whatever a demo run does with it.
MAIL_PROVIDERS = ("mail", "orange", "laposte", "free", "proton")
