-- Boilerplate of show notes (issue 13): the lines a feed repeats on many episodes are
-- learned at import (bot/common/boilerplate.py) and kept, as a small JSON object, in
-- bot_state under 'boilerplate:<feed id>'. They go with their feed: a feed id used again
-- after a removal must not inherit another show's sponsor reads.
CREATE TRIGGER feeds_boilerplate_delete AFTER DELETE ON feeds BEGIN
    DELETE FROM bot_state WHERE key = 'boilerplate:' || old.id;
END;
