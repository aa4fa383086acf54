"""Authorization: who may do what. One permission enum, one rule table, one ``can``; deny by default."""
