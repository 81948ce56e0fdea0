"""Self-assessment rounds: staff ask an organisation's managers to rate their own service on a
self-assessment survey during a wave; each manager fills it through the form engine
(docs/self-assessments.md). Its dashboard tile is in surveys/templatetags/, where Django looks
for template tag libraries."""
