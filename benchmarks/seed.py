"""A small built-in source for the corpus generator when the BBC corpus is not there (a fresh
clone in CI). The stories are invented for this file, in the BBC files' layout: a headline, then
paragraphs; three per topic, so the generator has paragraphs of other stories to mix in."""

from __future__ import annotations

SEED_STORIES: dict[str, list[str]] = {
    "business": [
        """Harbour Foods profit rises on export demand

Harbour Foods has reported a 12% rise in annual profit to £48m, helped by strong demand for its frozen seafood in Asia.

Sales grew to £610m in the year to March, the Grimsby-based company said on Tuesday.

Chief executive Mr Dawson said exports to Japan and South Korea had doubled since 2003.

The firm plans to open a new processing plant in Hull next year, creating 300 jobs.

Shares in Harbour Foods rose 4.5% to 215 pence in early trading in London.

Analysts at Brook Securities said the results were better than expected, but warned that fuel costs could squeeze margins.""",
        """Copper price hits 16-year high

The price of copper has climbed to its highest level for 16 years as Chinese factories buy more metal.

A tonne of copper for delivery in three months rose to $3,250 on the London Metal Exchange.

Traders said stocks held in warehouses had fallen by 40% since January.

Mining firms such as Northfield Resources have seen their shares rise sharply this year.

Mr Okafor, a metals analyst at Carter Bank, said prices could rise further if the strike at a Chilean mine goes on.

Some manufacturers have warned that higher metal costs will push up the price of cables and pipes.""",
        """Rail operator fined over late trains

The regulator has fined the rail operator Midland Express £2.5m after a year of late and cancelled trains.

Only 79% of its services arrived on time in 2004, well below the 90% target set in its franchise.

The regulator said passengers had suffered from poor planning of engineering work.

Midland Express said it would not appeal and had already ordered 24 new trains.

Its managing director, Ms Patel, apologised to passengers and promised better performance by the summer.

Passenger groups said the fine should be spent on improving stations rather than paid to the Treasury.""",
    ],
    "sport": [
        """Rovers reach cup semi-final

Rovers beat City 2-1 to reach the semi-finals of the cup for the first time in 30 years.

Striker Mr Hale scored twice in the second half after City had taken the lead through a penalty.

A crowd of 18,500 watched the match at Mill Lane on Saturday.

Rovers manager Mr Quinn said his players had shown great character after a poor start.

City will now focus on the league, where they sit fourth, six points behind the leaders.

The semi-final draw will be made on Monday evening.""",
        """Marathon champion ruled out by injury

Olympic marathon champion Ms Varga will miss next month's London Marathon because of a foot injury.

The 29-year-old was hurt during a training run in Portugal last week.

Scans showed a stress fracture that will keep her out of running for at least six weeks.

Race director Mr Bell said he was disappointed but that the women's field remained strong.

Varga won the London race in 2003 in two hours 21 minutes.

She hopes to return in time for the world championships in August.""",
        """Hosts win rugby opener in Cardiff

Wales beat Italy 38-8 in the opening match of the Six Nations in Cardiff.

Fly-half Mr Pryce kicked 13 points and winger Mr Morgan scored two tries.

Italy had taken an early lead with a penalty but could not hold the Welsh pack.

More than 70,000 fans filled the stadium despite heavy rain.

Coach Mr Rees said the team must improve its line-out before facing France next week.

Italy will play Scotland in Rome on 12 February.""",
    ],
    "tech": [
        """Mobile broadband trial begins in Leeds

A trial of fast mobile broadband has started in Leeds, with 500 users testing the service.

The network offers download speeds of up to 2 megabits a second, about ten times faster than current phones.

Operator Skyline Mobile said the trial would run for six months before a national launch.

Users will pay £25 a month for the service, including a laptop card.

Mr Carver, Skyline's technology director, said demand for video on phones was growing quickly.

Rival operators are expected to announce similar services later this year.""",
        """Virus spreads through instant messages

A new computer virus is spreading through instant messaging programs, security firms have warned.

The virus sends a message with a link to a fake photo website to everyone on the victim's contact list.

Security company Sentinel Labs said it had seen more than 40,000 infections in two days.

Machines that are infected can be used to send junk e-mail without their owners knowing.

Ms Lindqvist, a researcher at Sentinel Labs, said users should not click on unexpected links, even from friends.

Software makers have released updates that block the fake website.""",
        """Games console sales top forecast

Sales of the Nova games console have passed three million in Europe, beating its maker's forecast.

The console went on sale in November at £149 and was the best-selling gadget over Christmas.

Maker Arcadia Games said it had raised production to 400,000 machines a month.

Some shops ran out of stock in December, and second-hand consoles sold for twice the price online.

Mr Ito, head of Arcadia's European business, said 35 new games would be released by the summer.

Analysts said the success would put pressure on rivals to cut their prices.""",
    ],
}

SEED_QUESTIONS = [
    "How much profit did Harbour Foods make?",
    "Why has the price of copper risen?",
    "How much was Midland Express fined?",
    "Who scored for Rovers in the cup match?",
    "How many Nova consoles have been sold in Europe?",
]
