"""The questionnaire: surveys of three kinds, their versions, sections and questions, the staff
builder and the survey definition JSON (docs/formats.md).

Everything else in the app builds on it: a response answers a survey version, which
`structure.load_structure` reads once as the plain specs that cleaning and scoring work on.
"""
