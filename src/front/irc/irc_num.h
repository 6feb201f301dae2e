/*
 * irc_num — the IRC numeric replies Chorus speaks, named once for both
 * ends: the gateway that sends them (src/front/irc/gate_cmd.c) and the thin
 * client that reacts to them (src/front/thin/thin.c).  A numeric used by either
 * is defined here and nowhere else, so the two cannot drift apart; grep
 * a name to find who sends it and who reads it.
 *
 * Names are those of RFC 1459/2812 (with their spellings: ALREADYREGISTRED),
 * and of the modern IRC documents for the few RFC 2812 lacks (005
 * RPL_ISUPPORT, 410 ERR_INVALIDCAPCMD, 417 ERR_INPUTTOOLONG, 447
 * ERR_NONICKCHANGE).  Each is the three-digit string as it goes on the
 * wire.  docs/irc.md says when the gateway sends each.
 */
#ifndef CHORUS_IRC_NUM_H
#define CHORUS_IRC_NUM_H

/* Registration. */
#define IRC_RPL_WELCOME          "001"
#define IRC_RPL_YOURHOST         "002"
#define IRC_RPL_CREATED          "003"
#define IRC_RPL_MYINFO           "004"
#define IRC_RPL_ISUPPORT         "005"

/* Replies to queries. */
#define IRC_RPL_UMODEIS          "221"
#define IRC_RPL_WHOISUSER        "311"
#define IRC_RPL_ENDOFWHO         "315"
#define IRC_RPL_ENDOFWHOIS       "318"
#define IRC_RPL_LISTSTART        "321"
#define IRC_RPL_LIST             "322"
#define IRC_RPL_LISTEND          "323"
#define IRC_RPL_CHANNELMODEIS    "324"
#define IRC_RPL_TOPIC            "332"
#define IRC_RPL_WHOREPLY         "352"
#define IRC_RPL_NAMREPLY         "353"
#define IRC_RPL_ENDOFNAMES       "366"
#define IRC_RPL_ENDOFBANLIST     "368"
#define IRC_RPL_MOTD             "372"
#define IRC_RPL_MOTDSTART        "375"
#define IRC_RPL_ENDOFMOTD        "376"

/* Errors. */
#define IRC_ERR_NOSUCHCHANNEL    "403"
#define IRC_ERR_CANNOTSENDTOCHAN "404"
#define IRC_ERR_INVALIDCAPCMD    "410"
#define IRC_ERR_NOTEXTTOSEND     "412"
#define IRC_ERR_INPUTTOOLONG     "417"
#define IRC_ERR_UNKNOWNCOMMAND   "421"
#define IRC_ERR_NONICKNAMEGIVEN  "431"
#define IRC_ERR_ERRONEUSNICKNAME "432"
#define IRC_ERR_NICKNAMEINUSE    "433"
#define IRC_ERR_NOTONCHANNEL     "442"
#define IRC_ERR_NONICKCHANGE     "447"
#define IRC_ERR_NOTREGISTERED    "451"
#define IRC_ERR_NEEDMOREPARAMS   "461"
#define IRC_ERR_ALREADYREGISTRED "462"
#define IRC_ERR_PASSWDMISMATCH   "464"
#define IRC_ERR_YOUREBANNEDCREEP "465"
#define IRC_ERR_CHANOPRIVSNEEDED "482"

#endif
