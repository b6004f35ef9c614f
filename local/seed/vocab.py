"""Words and weights the generator draws from: topics, names, teams, comments, call categories, LLM models.

Weights are relative (they need not sum to 1). Everything here is plain data so that tuning the realism of
the demo never means touching SQL.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str  # conversations.topic
    weight: float
    phrase: str  # fits "Troubleshooting {phrase}" in help-center titles
    teams: tuple[str, ...]  # the teams that own it, by preference; Tier 1 when the tenant has none of them
    call_category: str  # calls.category of a phone call about it
    urgency: float  # < 1 pulls the priority towards urgent/high (outages, security)
    subjects: tuple[str, str, str]


# fmt: off
TOPICS: tuple[Topic, ...] = (
    Topic("Password reset", 14, "password resets", ("Tier 1",), "account", 1.0,
          ("Can't reset my password", "Password reset link expired", "Locked out after password change")),
    Topic("VPN connectivity", 11, "VPN connectivity", ("Tier 2",), "technical_support", 0.8,
          ("VPN keeps disconnecting", "Cannot connect to VPN from home", "VPN very slow since this morning")),
    Topic("Billing question", 9, "billing", ("Billing",), "billing", 1.0,
          ("Question about my latest invoice", "Charged twice this month", "How do I change my billing address?")),
    Topic("Login problems", 8, "login problems", ("Tier 1",), "account", 0.9,
          ("Two-factor code not arriving", "Login page keeps reloading", "Account shows as disabled")),
    Topic("Email delivery", 7, "email delivery", ("Tier 2",), "technical_support", 0.9,
          ("Emails to customers bounce", "Not receiving any email since Friday", "Messages stuck in outbox")),
    Topic("Software installation", 7, "software installation", ("Tier 1",), "technical_support", 1.0,
          ("Need Office installed on new laptop", "Installer fails with error 1603", "Request for Adobe licence")),
    Topic("New user onboarding", 6, "onboarding new users", ("Onboarding",), "onboarding", 1.0,
          ("New starter on Monday needs accounts", "Set up laptop for new hire", "Add user to the sales team")),
    Topic("Slow performance", 6, "slow performance", ("Tier 2",), "technical_support", 0.9,
          ("Dashboard takes minutes to load", "Laptop extremely slow", "Reports timing out")),
    Topic("Hardware replacement", 5, "hardware replacement", ("Tier 1",), "technical_support", 1.0,
          ("Laptop screen cracked", "Keyboard not working", "Need a replacement charger")),
    Topic("Refund request", 5, "refunds", ("Billing",), "billing", 1.0,
          ("Requesting a refund for unused seats", "Refund for duplicate payment", "Cancel and refund annual plan")),
    Topic("API integration error", 5, "API integrations", ("Technical Accounts", "Tier 2"), "technical_support", 0.8,
          ("API returns 500 on /orders", "Webhook deliveries failing", "Rate limit errors from the API")),
    Topic("Printer issues", 4, "printer issues", ("Tier 1",), "technical_support", 1.1,
          ("Printer on floor 3 offline", "Print jobs stuck in queue", "Scanner not sending to email")),
    Topic("Data export request", 4, "data exports", ("Customer Success", "Tier 2"), "account", 1.1,
          ("Need a full export of our data", "CSV export missing columns", "GDPR data access request")),
    Topic("Network outage", 4, "network outages", ("Tier 2",), "outage_report", 0.3,
          ("Whole office offline", "Wi-Fi down in meeting rooms", "Site unreachable for all users")),
    Topic("Security incident", 4, "phishing and security", ("Tier 2",), "technical_support", 0.35,
          ("Reporting a phishing email", "Suspicious login on my account", "Possible malware on my PC")),
)
# fmt: on
UNCLASSIFIED_WEIGHT = 2.0  # conversations the classifier left without a topic

ARTICLE_TEMPLATES: tuple[str, ...] = (
    "Troubleshooting {phrase}",
    "{Phrase}: frequently asked questions",
    "How to fix common {phrase} problems",
    "Getting started with {phrase}",
    "{Phrase} checklist",
    "Known issues with {phrase}",
    "{Phrase} for administrators",
    "When to contact support about {phrase}",
)

# Largest first: the order in which a plan's teams are created; sizes are shares of the agents.
TEAMS: tuple[tuple[str, float], ...] = (
    ("Tier 1", 0.36),
    ("Tier 2", 0.20),
    ("Billing", 0.16),
    ("Onboarding", 0.12),
    ("Technical Accounts", 0.09),
    ("Customer Success", 0.07),
)

CHANNELS: tuple[tuple[str, float], ...] = (
    ("email", 50),
    ("chat", 28),
    ("voice", 12),
    ("whatsapp", 8),
    ("sms", 1.2),
    ("web", 0.8),
)

# Cumulative thresholds are applied to a uniform draw scaled by the topic's urgency (see conversations.py).
PRIORITIES: tuple[tuple[str, float], ...] = (("urgent", 6.5), ("high", 14.5), ("medium", 52), ("low", 27))

# (first response target, resolution target) in minutes, per priority.
SLA_MINUTES: dict[str, tuple[int, int]] = {
    "urgent": (15, 4 * 60),
    "high": (60, 8 * 60),
    "medium": (4 * 60, 24 * 60),
    "low": (8 * 60, 72 * 60),
}

# Share of traffic per hour (0..23) of the tenant's local time, before the weekday factors. Calls follow the
# support line's opening hours more tightly than written conversations; help-center reading continues into
# the evening. All three dip at lunch time.
# fmt: off
HOURLY_CONVERSATIONS = (0.10, 0.07, 0.05, 0.05, 0.06, 0.10, 0.22, 0.45, 0.80, 1.00, 1.00, 0.95,
                        0.85, 0.95, 1.00, 0.95, 0.85, 0.65, 0.45, 0.35, 0.30, 0.24, 0.18, 0.13)
HOURLY_CALLS = (0.02, 0.01, 0.01, 0.01, 0.02, 0.04, 0.10, 0.35, 0.85, 1.00, 1.00, 0.95,
                0.75, 0.90, 1.00, 0.95, 0.80, 0.50, 0.20, 0.10, 0.06, 0.05, 0.04, 0.03)
HOURLY_VIEWS = (0.25, 0.15, 0.10, 0.08, 0.10, 0.18, 0.35, 0.60, 0.85, 1.00, 1.00, 0.95,
                0.90, 0.95, 1.00, 0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.60, 0.45, 0.35)
# fmt: on
WEEKEND_FACTOR = {"conversations": 0.30, "calls": 0.15, "views": 0.60}
# Monday to Friday: the week starts with the backlog of the weekend and tails off on Friday afternoon.
WEEKDAY_FACTOR = (1.12, 1.05, 1.0, 0.97, 0.86)
# Agents' working day, local time: replies outside [start, end) hours and at weekends are slower.
AGENT_HOURS = (8, 18)

# fmt: off
FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Paul",
    "Michelle", "Andrew", "Amanda", "Joshua", "Melissa", "Kevin", "Stephanie", "Brian", "Rebecca", "Oliver",
    "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Mia", "Jack", "Grace", "Lucas", "Chloe", "Hugo",
    "Lea", "Louis", "Manon", "Gabriel", "Camille", "Arthur", "Ines", "Jules", "Louise", "Raphael", "Juliette",
    "Leon", "Emma", "Theo", "Sophie", "Felix", "Hannah", "Lukas", "Lena", "Jonas", "Marie", "Finn", "Anna",
    "Elias", "Laura", "Maximilian", "Johanna", "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki", "Carlos",
    "Sofia", "Mateo", "Valentina", "Omar", "Fatima", "Ali", "Aisha", "Ivan", "Olga", "Kwame", "Ama", "Sean",
    "Niamh",
)
# fmt: on
# fmt: off
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "Allen", "King", "Wright", "Scott", "Evans",
    "Roberts", "Hughes", "Edwards", "Green", "Wood", "Turner", "Cooper", "Ward", "Morgan", "Bernard", "Dubois",
    "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Leroy", "Roux", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf",
    "Neumann", "Schwarz", "Zimmermann", "Braun", "Hartmann", "Krause", "Lange", "Werner", "Patel", "Singh",
    "Kumar", "Chen", "Wang", "Tanaka", "Sato", "Lopez", "Gonzalez", "Perez", "Hassan", "Khan", "Ivanova",
    "Mensah", "Okafor", "Murphy", "Kelly", "Byrne", "Nguyen", "Kim",
)
# fmt: on
EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("example.com", 50),
    ("example.org", 20),
    ("example.net", 20),
    ("mail.example", 10),
)
# Shares of the contacts (and so of the callers) per country calling code, by the tenant's home time zone:
# mostly local numbers, some from abroad. Numbers follow each country's mobile format (helpers.py).
_AMERICAN = (("1", 80), ("44", 7), ("49", 5), ("33", 5), ("81", 3))
PHONE_COUNTRIES_BY_ZONE: dict[str, tuple[tuple[str, float], ...]] = {
    "America/New_York": _AMERICAN,
    "America/Chicago": _AMERICAN,
    "America/Denver": _AMERICAN,
    "America/Los_Angeles": _AMERICAN,
    "Europe/London": (("44", 74), ("1", 9), ("33", 8), ("49", 7), ("81", 2)),
    "Europe/Paris": (("33", 74), ("44", 8), ("49", 9), ("1", 7), ("81", 2)),
    "Europe/Berlin": (("49", 74), ("44", 8), ("33", 9), ("1", 7), ("81", 2)),
    "Asia/Tokyo": (("81", 82), ("1", 9), ("44", 5), ("49", 2), ("33", 2)),
}
# Any other home zone: an international mix.
PHONE_COUNTRIES_ELSEWHERE: tuple[tuple[str, float], ...] = (("1", 40), ("44", 22), ("33", 22), ("49", 16))

CSAT_COMMENTS_POSITIVE: tuple[str, ...] = (
    "Quick and friendly, thank you!",
    "Solved on the first try.",
    "Great support, very clear instructions.",
    "The assistant found the right article immediately.",
    "Thanks for following up so fast.",
    "Excellent service as always.",
    "Problem fixed, much appreciated.",
    "Very patient and helpful agent.",
)
CSAT_COMMENTS_NEUTRAL: tuple[str, ...] = (
    "Fixed eventually, but it took a while.",
    "OK, though I had to explain the issue twice.",
    "Fine, the workaround is a bit clunky.",
    "Resolved, but the first answer did not help.",
    "Average experience.",
    "Took longer than expected.",
    "Good answer, slow reply.",
    "It works now, not sure what changed.",
)
CSAT_COMMENTS_NEGATIVE: tuple[str, ...] = (
    "Still not working.",
    "Nobody answered for two days.",
    "The bot kept sending me the same article.",
    "I was transferred three times.",
    "Closed without fixing anything.",
    "Very slow response, we lost a day of work.",
    "Had to call to get a real person.",
    "Not helpful at all.",
)
CSAT_FOLLOWUPS_GOOD: tuple[str, ...] = (
    "Nothing, keep it up.",
    "Maybe send a short summary by email.",
    "A status page link would have been nice.",
    "All good.",
)
CSAT_FOLLOWUPS_BAD: tuple[str, ...] = (
    "Answer faster, especially for urgent issues.",
    "Let me reach a human sooner.",
    "Read the whole ticket before replying.",
    "Keep me updated while it is being worked on.",
)

CALL_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("technical_support", 28),
    ("billing", 18),
    ("account", 16),
    ("general_inquiry", 12),
    ("onboarding", 9),
    ("outage_report", 7),
    ("sales_inquiry", 6),
    ("cancellation", 4),
)
# What the caller says first, per category (same order as CALL_CATEGORIES).
CALL_OPENERS: dict[str, str] = {
    "technical_support": "My laptop can't connect to the company VPN since this morning.",
    "billing": "I think we were charged twice on our last invoice.",
    "account": "I'm locked out of my account and the reset email never arrives.",
    "general_inquiry": "I have a quick question about your opening hours and support plans.",
    "onboarding": "We have a new colleague starting Monday and need accounts set up.",
    "outage_report": "Nobody in our office can reach the portal, is there an outage?",
    "sales_inquiry": "We'd like to add twenty more seats to our subscription.",
    "cancellation": "I'd like to cancel our plan at the end of the month.",
}
CALL_CLOSINGS: dict[str, str] = {
    "resolved": "Agent: That should be fixed now, could you try again?\nCaller: Yes, it works. Thank you!",
    "ticket_created": "Agent: I've opened a ticket and the team will follow up by email.\nCaller: Great, thanks.",
    "escalated": "Agent: I'm escalating this to our second-line team, they will call you back today.\nCaller: OK.",
    "transferred": "Agent: Let me transfer you to the right department, please hold the line.",
}
# Completed calls: outcome shares. Failed calls are abandoned or go to voicemail.
CALL_OUTCOMES_COMPLETED: tuple[tuple[str, float], ...] = (
    ("resolved", 60),
    ("ticket_created", 10),
    ("escalated", 12),
    ("transferred", 18),
)
CALL_OUTCOMES_FAILED: tuple[tuple[str, float], ...] = (("abandoned", 65), ("voicemail", 35))
# Median call length in seconds per outcome (log-normal around it).
CALL_MEDIAN_SECONDS: dict[str, int] = {
    "resolved": 240,
    "ticket_created": 330,
    "escalated": 420,
    "transferred": 150,
    "voicemail": 45,
    "abandoned": 8,
}

# provider -> (share, models with their shares, median latency in ms)
LLM_PROVIDERS: tuple[tuple[str, float, tuple[tuple[str, float], ...], int], ...] = (
    ("groq", 45, (("llama-3.3-70b-versatile", 70), ("llama-3.1-8b-instant", 30)), 450),
    ("openai", 35, (("gpt-4o-mini", 75), ("gpt-4.1", 25)), 1300),
    ("anthropic", 20, (("claude-3-5-haiku-latest", 60), ("claude-sonnet-4-20250514", 40)), 1700),
)
